output "queue_arn" {
  description = "ARN of the run queue the clients' schedules send to."
  value       = aws_sqs_queue.runs.arn
}

output "queue_url" {
  description = "URL of the run queue."
  value       = aws_sqs_queue.runs.id
}

output "dead_letter_queue_url" {
  description = "URL of the queue keeping runs that failed every delivery."
  value       = aws_sqs_queue.failed_runs.id
}

output "dead_letter_queue_arn" {
  description = "ARN of that queue."
  value       = aws_sqs_queue.failed_runs.arn
}

output "event_source_mapping_uuid" {
  description = "UUID of the event source mapping (its maximum concurrency is the fleet's bound)."
  value       = aws_lambda_event_source_mapping.runs.uuid
}

output "maximum_concurrency" {
  description = "Runs at once at most."
  value       = var.maximum_concurrency
}

output "scheduler_role_arn" {
  description = "Role every client's schedule sends its run with."
  value       = aws_iam_role.scheduler.arn
}

output "scheduler_role_name" {
  description = "Name of that role."
  value       = aws_iam_role.scheduler.name
}
