variable "client_id" {
  description = "Client whose newsletter the schedule triggers; sent in the payload and used in resource names."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_-]{0,39}$", var.client_id))
    error_message = "A client id is 1-40 lowercase letters, digits, hyphens or underscores."
  }
}

variable "schedule_expression" {
  description = "EventBridge Scheduler expression, such as cron(0 6 ? * MON *) (read in `timezone`) or rate(7 days)."
  type        = string

  validation {
    condition     = can(regex("^(cron|rate|at)\\(.+\\)$", var.schedule_expression))
    error_message = "The schedule is an EventBridge Scheduler cron(...), rate(...) or at(...) expression."
  }
}

variable "timezone" {
  description = "IANA time zone the cron expression is read in, such as Europe/Paris (daylight saving followed)."
  type        = string
  default     = "UTC"

  validation {
    condition     = can(regex("^(UTC|[A-Z][A-Za-z_+-]+(/[A-Za-z0-9_+-]+){1,2})$", var.timezone))
    error_message = "Give an IANA time zone name, such as Europe/Paris or UTC."
  }
}

variable "payload" {
  description = "Fields sent to the function besides client_id, such as period_days and force_regenerate."
  type        = any
  default     = {}

  validation {
    condition     = can(keys(var.payload)) && !contains(try(keys(var.payload), []), "client_id")
    error_message = "The payload is an object of fields; client_id is added by the module."
  }
}

variable "enabled" {
  description = "Whether the schedule fires; a disabled schedule keeps its target and role."
  type        = bool
  default     = true
}

variable "function_name" {
  description = "Name of the engine's function: the prefix of the schedule's name."
  type        = string
}

variable "target_arn" {
  description = "What the schedule sends the run to: the fleet's run queue (an SQS queue ARN)."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:sqs:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.target_arn))
    error_message = "The target is an SQS queue ARN (the fleet's run queue)."
  }
}

variable "role_arn" {
  description = "Role the schedule sends with: the fleet's scheduler role, which may only send to the run queue."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/.+$", var.role_arn))
    error_message = "The role is an IAM role ARN."
  }
}

variable "maximum_retry_attempts" {
  description = "Times the scheduler retries sending the run to the queue when sending itself fails."
  type        = number
  default     = 3

  validation {
    condition     = var.maximum_retry_attempts >= 0 && var.maximum_retry_attempts <= 185
    error_message = "EventBridge retries 0 to 185 times."
  }
}

variable "maximum_event_age_seconds" {
  description = "Age after which the scheduler stops retrying the delivery."
  type        = number
  default     = 3600

  validation {
    condition     = var.maximum_event_age_seconds >= 60 && var.maximum_event_age_seconds <= 86400
    error_message = "The maximum event age is 60 to 86400 seconds."
  }
}
