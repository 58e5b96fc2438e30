output "schedule_name" {
  description = "Name of the EventBridge Scheduler schedule (in the default group)."
  value       = aws_scheduler_schedule.this.name
}

output "schedule_arn" {
  description = "ARN of the schedule."
  value       = aws_scheduler_schedule.this.arn
}

output "role_name" {
  description = "Role the schedule invokes the alias with."
  value       = aws_iam_role.this.name
}

output "input" {
  description = "JSON payload the function receives."
  value       = local.input
}
