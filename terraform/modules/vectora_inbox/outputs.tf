output "function_name" {
  description = "Name of the engine's Lambda function."
  value       = module.engine_function.function_name
}

output "alias_name" {
  description = "Alias the schedules invoke."
  value       = module.engine_function.alias_name
}

output "alias_arn" {
  description = "ARN of the alias the schedules invoke."
  value       = module.engine_function.alias_arn
}

output "initial_version" {
  description = "Version Terraform published when it created the function."
  value       = module.engine_function.initial_version
}

output "role_name" {
  description = "Execution role of the function."
  value       = module.engine_function.role_name
}

output "policy_name" {
  description = "Inline policy of the execution role."
  value       = module.engine_function.policy_name
}

output "log_group_name" {
  description = "Log group of the function."
  value       = module.engine_function.log_group_name
}

output "bucket_names" {
  description = "Bucket names by purpose: config, data, newsletters, artifacts."
  value       = module.buckets.bucket_names
}

output "bootstrap_package_key" {
  description = "Artifacts bucket key of the package the function was created from."
  value       = module.engine_function.bootstrap_package_key
}

output "inference_profiles" {
  description = "Inference profiles the function may invoke, with the Regions their model may run in."
  value       = local.inference_profiles
}

output "schedules" {
  description = "EventBridge Scheduler schedule name (default group) by client id."
  value       = { for client_id, schedule in module.client_schedule : client_id => schedule.schedule_name }
}

output "fleet" {
  description = "The fleet's run queue, its dead-letter queue, the event source mapping and the schedules' role."
  value       = module.fleet_fanout
}

output "failed_invocations_queue_url" {
  description = "Queue keeping failed scheduled invocations of the alias (invoke failures shows them)."
  value       = module.engine_function.failed_invocations_queue_url
}

output "failed_invocations_queue_arn" {
  description = "ARN of that queue, the alias's on-failure destination."
  value       = module.engine_function.failed_invocations_queue_arn
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies."
  value       = module.alarms.topic_arn
}

output "alarm_names" {
  description = "Names of the alarms: the function's, then each scheduled client's."
  value       = module.alarms.alarm_names
}
