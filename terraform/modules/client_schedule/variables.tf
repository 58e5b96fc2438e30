variable "client_id" {
  description = "Client whose newsletter the schedule triggers; sent in the payload and used in resource names."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_-]{0,39}$", var.client_id))
    error_message = "A client id is 1-40 lowercase letters, digits, hyphens or underscores."
  }
}

variable "schedule_expression" {
  description = "EventBridge schedule, such as cron(0 6 ? * MON *) (UTC) or rate(7 days)."
  type        = string

  validation {
    condition     = can(regex("^(cron|rate)\\(.+\\)$", var.schedule_expression))
    error_message = "The schedule is an EventBridge cron(...) or rate(...) expression."
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
  description = "Whether the schedule fires; a disabled schedule keeps its target and permission."
  type        = bool
  default     = true
}

variable "function_name" {
  description = "Name of the Lambda function to invoke."
  type        = string
}

variable "alias_name" {
  description = "Alias of the function the schedule invokes."
  type        = string
}

variable "alias_arn" {
  description = "ARN of that alias (the schedule's target)."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$", var.alias_arn))
    error_message = "The target is a qualified (alias) Lambda function ARN."
  }
}

variable "maximum_retry_attempts" {
  description = "Times EventBridge retries delivering the event to Lambda when delivery itself fails."
  type        = number
  default     = 3

  validation {
    condition     = var.maximum_retry_attempts >= 0 && var.maximum_retry_attempts <= 185
    error_message = "EventBridge retries 0 to 185 times."
  }
}

variable "maximum_event_age_seconds" {
  description = "Age after which EventBridge stops retrying the delivery."
  type        = number
  default     = 3600

  validation {
    condition     = var.maximum_event_age_seconds >= 60 && var.maximum_event_age_seconds <= 86400
    error_message = "The maximum event age is 60 to 86400 seconds."
  }
}

variable "tags" {
  description = "Tags added to the schedule rule."
  type        = map(string)
  default     = {}
}
