locals {
  # Lambda publishes alias metrics under the Resource dimension `<function>:<alias>`.
  alias_dimensions = {
    FunctionName = var.function_name
    Resource     = "${var.function_name}:${var.alias_name}"
  }

  # The run metrics the handler emits in Embedded Metric Format (lambda_src/vectora_core/run_metrics.py), for
  # the runs that publish an edition (check runs carry another Mode and never count).
  client_dimensions = {
    for client_id in var.client_ids : client_id => {
      Environment = var.environment_name
      ClientId    = client_id
      Mode        = "publish"
    }
  }

  actions = [aws_sns_topic.alarms.arn]
}

resource "aws_sns_topic" "alarms" {
  #checkov:skip=CKV_AWS_26:CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key, and alarm messages carry names and states only; a customer-managed key is not worth its policy and cost here.
  name = "${var.function_name}-alarms"
  tags = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

# --- the function, through its live alias -------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = "${var.function_name}-errors"
  alarm_description   = "An invocation of ${var.function_name}:${var.alias_name} failed (see the failure queue: invoke failures)."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = local.alias_dimensions
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "throttles" {
  alarm_name          = "${var.function_name}-throttles"
  alarm_description   = "An invocation of ${var.function_name}:${var.alias_name} was throttled."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = local.alias_dimensions
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "duration" {
  alarm_name          = "${var.function_name}-duration"
  alarm_description   = "A run of ${var.function_name}:${var.alias_name} took more than ${var.duration_alarm_percent} % of its ${var.timeout_seconds} s timeout."
  namespace           = "AWS/Lambda"
  metric_name         = "Duration"
  dimensions          = local.alias_dimensions
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.timeout_seconds * 1000 * var.duration_alarm_percent / 100
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

# --- each scheduled client's editions ------------------------------------------------------------------------

# A run that answered with an error (unknown client, broken client config) is no Lambda error: the run metric
# catches it the same hour instead of a week later.
resource "aws_cloudwatch_metric_alarm" "run_failed" {
  for_each = local.client_dimensions

  alarm_name          = "${var.function_name}-${each.key}-run-failed"
  alarm_description   = "A publishing run of client ${each.key} ended without an edition (see invoke logs and invoke failures)."
  namespace           = var.metric_namespace
  metric_name         = "RunSucceeded"
  dimensions          = each.value
  statistic           = "Minimum"
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "degraded" {
  for_each = local.client_dimensions

  alarm_name          = "${var.function_name}-${each.key}-degraded"
  alarm_description   = "A run of client ${each.key} published a degraded edition (a model call fell back to offline work)."
  namespace           = var.metric_namespace
  metric_name         = "Degraded"
  dimensions          = each.value
  statistic           = "Maximum"
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "sources_failed" {
  for_each = local.client_dimensions

  alarm_name          = "${var.function_name}-${each.key}-sources-failed"
  alarm_description   = "A run of client ${each.key} published with one or more sources failing (a partial edition)."
  namespace           = var.metric_namespace
  metric_name         = "SourcesFailed"
  dimensions          = each.value
  statistic           = "Maximum"
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

# CloudWatch caps an alarm's window at 7 days (period x evaluation periods <= 604,800 s). Seven whole UTC days
# with no published edition, missing data counting as breaching, alarm at most 8 days after the last edition
# of a weekly client: the day of its run plus seven empty days.
resource "aws_cloudwatch_metric_alarm" "no_newsletter" {
  for_each = local.client_dimensions

  alarm_name          = "${var.function_name}-${each.key}-no-newsletter"
  alarm_description   = "No edition of client ${each.key} was published for ${var.silence_days} days."
  namespace           = var.metric_namespace
  metric_name         = "NewsletterPublished"
  dimensions          = each.value
  statistic           = "Sum"
  period              = 86400
  evaluation_periods  = var.silence_days
  datapoints_to_alarm = var.silence_days
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}
