locals {
  name  = substr("${var.function_name}-${replace(var.client_id, "_", "-")}", 0, 64)
  input = jsonencode(merge(var.payload, { client_id = var.client_id }))
}

# EventBridge Scheduler (not an EventBridge rule): it reads the cron in the client's time zone, so "Monday 06:00
# Europe/Paris" stays 06:00 in Paris across daylight-saving changes. Its target is the fleet's run queue
# (terraform/modules/fleet_fanout), not the function: the queue's event source mapping decides when the run starts,
# so a hundred clients due the same minute share the Bedrock quota instead of exhausting it together. The role is
# the fleet's one scheduler role, which may only send to that queue.
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
    arn      = var.target_arn
    role_arn = var.role_arn
    input    = local.input

    # Retries of the delivery to the queue; a run that fails inside Lambda is delivered again by the queue and
    # then kept in its dead-letter queue.
    retry_policy {
      maximum_retry_attempts       = var.maximum_retry_attempts
      maximum_event_age_in_seconds = var.maximum_event_age_seconds
    }
  }
}
