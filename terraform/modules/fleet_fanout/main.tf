data "aws_caller_identity" "current" {}

# How the fleet's runs start (README "Fleet"): each client's EventBridge Scheduler schedule puts its run on one SQS
# queue, in the client's own time zone, and Lambda reads the queue through an event source mapping whose maximum
# concurrency bounds how many runs share the Bedrock quota at once. A hundred schedules firing the same minute fill
# the queue in a second; the runs then start as earlier ones finish, not all together.
#
# - Lambda, SQS event sources: the queue's visibility timeout is at least six times the function timeout
#   (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html); maximum concurrency is 2 to 1000
#   (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html, API_ScalingConfig).
# - A run that fails (an error the function reports for its record, or a crash) is delivered again, and after
#   `max_receive_count` deliveries kept in the dead-letter queue, where `invoke status` counts it.

locals {
  queue_name             = "${var.function_name}-runs"
  dead_letter_queue_name = "${var.function_name}-failed-runs"
  visibility_timeout     = max(6 * var.function_timeout_seconds, 30)
}

resource "aws_sqs_queue" "failed_runs" {
  name                      = local.dead_letter_queue_name
  message_retention_seconds = var.failed_runs_retention_seconds
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

resource "aws_sqs_queue" "runs" {
  name                       = local.queue_name
  visibility_timeout_seconds = local.visibility_timeout
  message_retention_seconds  = var.run_retention_seconds
  sqs_managed_sse_enabled    = true
  tags                       = var.tags

  lifecycle {
    # The redrive policy belongs to aws_sqs_queue_redrive_policy below; the queue only reads it back.
    ignore_changes = [redrive_policy]
  }
}

resource "aws_sqs_queue_redrive_policy" "runs" {
  queue_url = aws_sqs_queue.runs.id
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.failed_runs.arn
    maxReceiveCount     = var.max_receive_count
  })
}

# What the event source mapping does with the function's own role: Lambda polls the queue as the function.
data "aws_iam_policy_document" "consume_runs" {
  statement {
    sid       = "ConsumeFleetRuns"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]
    resources = [aws_sqs_queue.runs.arn]
  }
}

resource "aws_iam_role_policy" "consume_runs" {
  name   = "${var.function_name}-consume-runs"
  role   = var.function_role_name
  policy = data.aws_iam_policy_document.consume_runs.json
}

resource "aws_lambda_event_source_mapping" "runs" {
  event_source_arn        = aws_sqs_queue.runs.arn
  function_name           = var.alias_arn
  batch_size              = 1 # one client's run per invocation: its own time budget, its own failure
  enabled                 = var.enabled
  function_response_types = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.maximum_concurrency
  }

  # The function must be allowed to read the queue before Lambda starts polling it, and a run that keeps failing
  # must have somewhere to go.
  depends_on = [aws_iam_role_policy.consume_runs, aws_sqs_queue_redrive_policy.runs]

  lifecycle {
    # The mapping targets the alias, so it follows every deploy and rollback; the emulator reports back the version
    # the alias pointed at when the mapping was made, which would otherwise read as a change at every plan.
    ignore_changes = [function_name]
  }
}

# One role for every client's schedule: it may only put runs on the queue. (A role per schedule would spend the
# account's IAM roles, 1,000 by default, on what one role does.)
data "aws_iam_policy_document" "scheduler_assume_role" {
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

resource "aws_iam_role" "scheduler" {
  name               = "${var.function_name}-fleet-schedule"
  description        = "Lets the clients' schedules put their runs on ${local.queue_name}"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume_role.json
  tags               = var.tags
}

data "aws_iam_policy_document" "enqueue_runs" {
  statement {
    sid       = "EnqueueRuns"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.runs.arn]
  }
}

resource "aws_iam_role_policy" "enqueue_runs" {
  name   = "enqueue-runs"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.enqueue_runs.json
}
