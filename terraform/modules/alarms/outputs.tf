output "topic_arn" {
  description = "SNS topic every alarm notifies."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_names" {
  description = "Every alarm's name: the function's (errors, throttles, duration), then each client's."
  value = concat(
    [aws_cloudwatch_metric_alarm.errors.alarm_name, aws_cloudwatch_metric_alarm.throttles.alarm_name, aws_cloudwatch_metric_alarm.duration.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.run_failed : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.degraded : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.sources_failed : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.no_newsletter : alarm.alarm_name],
  )
}
