data "aws_caller_identity" "current" {}

locals {
  name  = substr("${var.function_name}-${replace(var.client_id, "_", "-")}", 0, 64)
  input = jsonencode(merge(var.payload, { client_id = var.client_id }))
}

# EventBridge Scheduler (not an EventBridge rule): it reads the cron in the client's time zone, so "Monday 06:00
# Europe/Paris" stays 06:00 in Paris across daylight-saving changes. It invokes through a role of its own,
# which may invoke the alias only: no resource policy on the function is needed.
data "aws_iam_policy_document" "assume_role" {
  statement {
    sid     = "SchedulerAssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    # Only schedules of this account may use the role (confused-deputy guard).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = substr("${local.name}-schedule", 0, 64)
  description        = "Lets the schedule of client ${var.client_id} invoke ${var.function_name}:${var.alias_name}"
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
  tags               = var.tags
}

data "aws_iam_policy_document" "invoke_alias" {
  statement {
    sid       = "InvokeLiveAlias"
    actions   = ["lambda:InvokeFunction"]
    resources = [var.alias_arn]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "invoke-${var.alias_name}"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.invoke_alias.json
}

resource "aws_scheduler_schedule" "this" {
  #checkov:skip=CKV_AWS_297:The schedule holds a client id and a run window, nothing secret; the scheduler encrypts it with an AWS-owned key, and a customer-managed key would add cost and a key policy for no extra control.
  name                         = local.name
  group_name                   = "default"
  description                  = "Newsletter run of client ${var.client_id}"
  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = var.timezone
  state                        = var.enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = var.alias_arn
    role_arn = aws_iam_role.this.arn
    input    = local.input

    # Retries of the delivery to Lambda; a run that fails inside Lambda is retried by the alias's event invoke
    # config and then kept in its failure queue.
    retry_policy {
      maximum_retry_attempts       = var.maximum_retry_attempts
      maximum_event_age_in_seconds = var.maximum_event_age_seconds
    }
  }
}
