locals {
  rule_name = substr("${var.function_name}-${replace(var.client_id, "_", "-")}", 0, 64)
  input     = jsonencode(merge(var.payload, { client_id = var.client_id }))
}

resource "aws_cloudwatch_event_rule" "this" {
  name                = local.rule_name
  description         = "Weekly newsletter run of client ${var.client_id}"
  schedule_expression = var.schedule_expression
  state               = var.enabled ? "ENABLED" : "DISABLED"
  tags                = var.tags
}

resource "aws_cloudwatch_event_target" "this" {
  rule      = aws_cloudwatch_event_rule.this.name
  target_id = "engine"
  arn       = var.alias_arn
  input     = local.input

  retry_policy {
    maximum_retry_attempts       = var.maximum_retry_attempts
    maximum_event_age_in_seconds = var.maximum_event_age_seconds
  }
}

resource "aws_lambda_permission" "this" {
  statement_id  = "AllowSchedule-${replace(var.client_id, "_", "-")}"
  action        = "lambda:InvokeFunction"
  function_name = var.function_name
  qualifier     = var.alias_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.this.arn
}
