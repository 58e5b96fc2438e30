data "aws_caller_identity" "current" {}

locals {
  # Lambda publishes alias metrics under the Resource dimension `<function>:<alias>`.
  alias_dimensions = {
    FunctionName = var.function_name
    Resource     = "${var.function_name}:${var.alias_name}"
  }

  # The function's alarms, through its live alias (the deploy's pre-promotion smoke test invokes the candidate
  # by number, so a broken candidate never fires them).
  function_alarms = {
    errors = {
      description = "An invocation of ${var.function_name}:${var.alias_name} failed (see the failure queue: invoke failures)."
      metric      = "Errors"
      statistic   = "Sum"
      operator    = "GreaterThanOrEqualToThreshold"
      threshold   = 1
    }
    throttles = {
      description = "An invocation of ${var.function_name}:${var.alias_name} was throttled."
      metric      = "Throttles"
      statistic   = "Sum"
      operator    = "GreaterThanOrEqualToThreshold"
      threshold   = 1
    }
    duration = {
      description = "A run of ${var.function_name}:${var.alias_name} took more than ${var.duration_alarm_percent} % of its ${var.timeout_seconds} s timeout."
      metric      = "Duration"
      statistic   = "Maximum"
      operator    = "GreaterThanThreshold"
      threshold   = var.timeout_seconds * 1000 * var.duration_alarm_percent / 100
    }
  }

  # Each scheduled client's run metrics, emitted by the handler in Embedded Metric Format
  # (lambda_src/vectora_core/run_metrics.py) for the runs that publish (check runs carry another Mode).
  client_metric_alarms = {
    run-failed = {
      # A run that answered with an error (unknown client, broken config) is no Lambda error: caught the same hour.
      description = "A publishing run of client %s ended without an edition (see invoke logs and invoke failures)."
      metric      = "RunSucceeded"
      statistic   = "Minimum"
      operator    = "LessThanThreshold"
    }
    degraded = {
      description = "A run of client %s published a degraded edition (a model call fell back to offline work)."
      metric      = "Degraded"
      statistic   = "Maximum"
      operator    = "GreaterThanOrEqualToThreshold"
    }
    sources-failed = {
      description = "A run of client %s published with one or more sources failing (a partial edition)."
      metric      = "SourcesFailed"
      statistic   = "Maximum"
      operator    = "GreaterThanOrEqualToThreshold"
    }
  }

  client_alarms = merge([
    for client_id in sort(keys(var.client_schedules)) : {
      for kind, alarm in local.client_metric_alarms : "${client_id}/${kind}" => merge(alarm, {
        client_id   = client_id
        kind        = kind
        description = format(alarm.description, client_id)
      })
    }
  ]...)

  dimensions = {
    for client_id in keys(var.client_schedules) : client_id => {
      Environment = var.environment_name
      ClientId    = client_id
      Mode        = "publish"
    }
  }

  # When a client's edition is due: its schedule's cron with the hour moved on by the grace, in the same time
  # zone (so daylight saving moves both alike), unless the client names its own (`schedule.edition_due`).
  cron_parts = {
    for client_id, schedule in var.client_schedules :
    client_id => regex("^cron\\((\\d+) (\\d+) (.+)\\)$", schedule.expression)
    if can(regex("^cron\\((\\d+) (\\d+) (.+)\\)$", schedule.expression))
  }
  due_expressions = {
    for client_id, schedule in var.client_schedules : client_id => coalesce(
      try(schedule.edition_due, null),
      try(format("cron(%s %d %s)", local.cron_parts[client_id][0], tonumber(local.cron_parts[client_id][1]) + var.edition_grace_hours, local.cron_parts[client_id][2]), null),
    )
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

resource "aws_cloudwatch_metric_alarm" "function" {
  for_each = local.function_alarms

  alarm_name          = "${var.function_name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = "AWS/Lambda"
  metric_name         = each.value.metric
  dimensions          = local.alias_dimensions
  statistic           = each.value.statistic
  period              = 300
  evaluation_periods  = 1
  comparison_operator = each.value.operator
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

# --- each scheduled client's editions ------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "client" {
  for_each = local.client_alarms

  alarm_name          = "${var.function_name}-${each.value.client_id}-${each.value.kind}"
  alarm_description   = each.value.description
  namespace           = var.metric_namespace
  metric_name         = each.value.metric
  dimensions          = local.dimensions[each.value.client_id]
  statistic           = each.value.statistic
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = each.value.operator
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

# A missing edition, told once. A sliding window over the published-edition metric flaps: a weekly edition that
# lands a little later than last week's leaves a gap (ALARM, then OK), and a new environment is in ALARM until its
# first edition. Instead, when an edition is due (the schedule's time plus the grace), a schedule of its own puts
# one `EditionDue` datapoint; the alarm compares the UTC day's `EditionDue` with that day's `NewsletterPublished`:
# ALARM when the edition is due and none was published that day, OK as soon as one is (or the next day, when no
# edition is due). No `EditionDue`, no datapoint: quiet, a new environment included.
resource "aws_cloudwatch_metric_alarm" "no_edition" {
  for_each = var.client_schedules

  alarm_name          = "${var.function_name}-${each.key}-no-newsletter"
  alarm_description   = "No edition of client ${each.key} was published on the day it was due (due at ${local.due_expressions[each.key]} ${each.value.timezone})."
  evaluation_periods  = 1
  datapoints_to_alarm = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags

  metric_query {
    id          = "missing"
    expression  = "IF(due > 0 AND FILL(published, 0) == 0, 1, 0)"
    label       = "Edition due and not published"
    return_data = true
  }

  metric_query {
    id = "due"

    metric {
      namespace   = var.metric_namespace
      metric_name = "EditionDue"
      dimensions  = local.dimensions[each.key]
      stat        = "Sum"
      period      = 86400
    }
  }

  metric_query {
    id = "published"

    metric {
      namespace   = var.metric_namespace
      metric_name = "NewsletterPublished"
      dimensions  = local.dimensions[each.key]
      stat        = "Sum"
      period      = 86400
    }
  }
}

# The deadline marks: EventBridge Scheduler calls CloudWatch PutMetricData itself (a universal target,
# https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html), through a role that may
# put metrics in the run metrics' namespace only.
data "aws_iam_policy_document" "scheduler_assumes" {
  statement {
    sid     = "SchedulerAssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "edition_due" {
  count = length(var.client_schedules) > 0 ? 1 : 0

  name               = substr("${var.function_name}-edition-due-schedule", 0, 64)
  description        = "Lets the edition-due schedules of ${var.function_name} put their EditionDue datapoint"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assumes.json
  tags               = var.tags
}

data "aws_iam_policy_document" "put_edition_due" {
  statement {
    sid       = "PutEditionDue"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"] # PutMetricData takes no resource; the namespace condition narrows it

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [var.metric_namespace]
    }
  }
}

resource "aws_iam_role_policy" "edition_due" {
  count = length(var.client_schedules) > 0 ? 1 : 0

  name   = "put-edition-due"
  role   = aws_iam_role.edition_due[0].id
  policy = data.aws_iam_policy_document.put_edition_due.json
}

resource "aws_scheduler_schedule" "edition_due" {
  #checkov:skip=CKV_AWS_297:The schedule holds a metric name and a client id, nothing secret; the scheduler encrypts it with an AWS-owned key.
  for_each = var.client_schedules

  name                         = substr("${var.function_name}-${replace(each.key, "_", "-")}-edition-due", 0, 64)
  group_name                   = "default"
  description                  = "Marks when the edition of client ${each.key} is due, for its no-newsletter alarm"
  schedule_expression          = local.due_expressions[each.key]
  schedule_expression_timezone = each.value.timezone
  state                        = try(each.value.enabled, true) ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = "arn:aws:scheduler:::aws-sdk:cloudwatch:putMetricData"
    role_arn = aws_iam_role.edition_due[0].arn
    input = jsonencode({
      Namespace = var.metric_namespace
      MetricData = [{
        MetricName = "EditionDue"
        Dimensions = [for name, value in local.dimensions[each.key] : { Name = name, Value = value }]
        Value      = 1
        Unit       = "Count"
      }]
    })
  }

  lifecycle {
    precondition {
      condition     = local.due_expressions[each.key] != null && can(regex("^(cron|rate|at)\\(", local.due_expressions[each.key]))
      error_message = "Client ${each.key}: give schedule.edition_due (a cron expression) when its schedule is not `cron(M H ...)` with H + ${var.edition_grace_hours} < 24."
    }
  }
}

# --- applied environments keep their alarms (one resource per kind before) -----------------------------------

moved {
  from = aws_cloudwatch_metric_alarm.errors
  to   = aws_cloudwatch_metric_alarm.function["errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.throttles
  to   = aws_cloudwatch_metric_alarm.function["throttles"]
}

moved {
  from = aws_cloudwatch_metric_alarm.duration
  to   = aws_cloudwatch_metric_alarm.function["duration"]
}

# Per-client alarms: moved blocks take literal keys, so they name the clients scheduled when the alarms were one
# resource per kind (lai_weekly_v3); a client added since is created under the new addresses directly.
moved {
  from = aws_cloudwatch_metric_alarm.run_failed["lai_weekly_v3"]
  to   = aws_cloudwatch_metric_alarm.client["lai_weekly_v3/run-failed"]
}

moved {
  from = aws_cloudwatch_metric_alarm.degraded["lai_weekly_v3"]
  to   = aws_cloudwatch_metric_alarm.client["lai_weekly_v3/degraded"]
}

moved {
  from = aws_cloudwatch_metric_alarm.sources_failed["lai_weekly_v3"]
  to   = aws_cloudwatch_metric_alarm.client["lai_weekly_v3/sources-failed"]
}

moved {
  from = aws_cloudwatch_metric_alarm.no_newsletter
  to   = aws_cloudwatch_metric_alarm.no_edition
}
