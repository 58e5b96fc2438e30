output "schedule_name" {
  description = "Name of the EventBridge Scheduler schedule (in the default group)."
  value       = aws_scheduler_schedule.this.name
}

output "schedule_arn" {
  description = "ARN of the schedule."
  value       = aws_scheduler_schedule.this.arn
}

output "input" {
  description = "JSON payload the run receives (the queue message's body)."
  value       = local.input
}
