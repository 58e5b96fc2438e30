output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "Unqualified ARN of the Lambda function."
  value       = aws_lambda_function.this.arn
}

output "initial_version" {
  description = "Version published when Terraform created the function (later versions are the toolkit's)."
  value       = terraform_data.initial_version.output
}

output "alias_name" {
  description = "Name of the alias the schedules invoke."
  value       = aws_lambda_alias.live.name
}

output "alias_arn" {
  description = "ARN of the alias the schedules invoke."
  value       = aws_lambda_alias.live.arn
}

output "role_name" {
  description = "Name of the function's execution role."
  value       = aws_iam_role.this.name
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.this.arn
}

output "policy_name" {
  description = "Name of the execution role's inline policy."
  value       = aws_iam_role_policy.this.name
}

output "log_group_name" {
  description = "Log group of the function."
  value       = aws_cloudwatch_log_group.this.name
}

output "bootstrap_package_key" {
  description = "Artifacts bucket key of the package the function was created from."
  value       = aws_s3_object.bootstrap_package.key
}

output "failed_invocations_queue_url" {
  description = "URL of the queue that keeps failed asynchronous (scheduled) invocations of the alias."
  value       = aws_sqs_queue.failed_invocations.url
}

output "failed_invocations_queue_arn" {
  description = "ARN of that queue (the alias's on-failure destination)."
  value       = aws_sqs_queue.failed_invocations.arn
}
