output "topic_arn" {
  description = "SNS topic every alarm notifies."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_names" {
  description = "Every alarm's name: the function's (errors, throttles, duration), then each client's."
  value = concat(
    [for key in ["errors", "throttles", "duration"] : aws_cloudwatch_metric_alarm.function[key].alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.client : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.no_edition : alarm.alarm_name],
  )
}

output "edition_due_schedules" {
  description = "Per client, the schedule that marks when its edition is due, and its expression."
  value       = { for client_id, schedule in aws_scheduler_schedule.edition_due : client_id => { name = schedule.name, expression = schedule.schedule_expression, timezone = schedule.schedule_expression_timezone } }
}
