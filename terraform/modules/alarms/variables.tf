variable "function_name" {
  description = "Name of the engine's Lambda function (also the prefix of every alarm name and of the topic)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,50}$", var.function_name))
    error_message = "A function name is 1-50 letters, digits, hyphens or underscores here (alarm names add suffixes)."
  }
}

variable "alias_name" {
  description = "Alias whose invocations are watched (the one the schedules invoke)."
  type        = string
  default     = "live"
}

variable "timeout_seconds" {
  description = "The function's timeout, for the duration alarm."
  type        = number

  validation {
    condition     = var.timeout_seconds >= 1 && var.timeout_seconds <= 900
    error_message = "A Lambda timeout is 1 to 900 seconds."
  }
}

variable "duration_alarm_percent" {
  description = "Alarm when a run takes more than this share of the timeout, in percent."
  type        = number
  default     = 80

  validation {
    condition     = var.duration_alarm_percent > 0 && var.duration_alarm_percent < 100
    error_message = "Give a percentage between 0 and 100."
  }
}

variable "environment_name" {
  description = "The ENV of the function: the Environment dimension of its run metrics."
  type        = string
}

variable "client_schedules" {
  description = "Clients whose editions are watched (those with a schedule): their schedule's expression, time zone, whether it is enabled, and optionally edition_due, the cron of the deadline."
  type = map(object({
    expression  = string
    timezone    = optional(string, "UTC")
    enabled     = optional(bool, true)
    edition_due = optional(string)
  }))
  default = {}
}

variable "edition_grace_hours" {
  description = "Hours after a client's scheduled run by which its edition must be published, else its no-newsletter alarm fires (the deadline stays on the run's day)."
  type        = number
  default     = 4

  validation {
    condition     = var.edition_grace_hours >= 1 && var.edition_grace_hours <= 12 && floor(var.edition_grace_hours) == var.edition_grace_hours
    error_message = "Give a whole number of hours from 1 to 12."
  }
}

variable "metric_namespace" {
  description = "CloudWatch namespace of the run metrics the handler emits."
  type        = string
  default     = "VectoraInbox"
}

variable "alarm_email" {
  description = "Address subscribed to the alarm topic (it must confirm the subscription); null for none."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "Give an email address, or leave it unset."
  }
}

variable "tags" {
  description = "Tags added to the topic and the alarms."
  type        = map(string)
  default     = {}
}
