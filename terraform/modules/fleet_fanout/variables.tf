variable "function_name" {
  description = "Name of the engine's function: prefix of the queues and roles."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,50}$", var.function_name))
    error_message = "The function name is 1-50 letters, digits, hyphens or underscores (queue and role names add a suffix)."
  }
}

variable "alias_arn" {
  description = "ARN of the alias the event source mapping invokes (`live`)."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$", var.alias_arn))
    error_message = "The target is a qualified (alias) Lambda function ARN."
  }
}

variable "function_role_name" {
  description = "Execution role of the function: it is given the right to read the run queue."
  type        = string
}

variable "function_timeout_seconds" {
  description = "The function's timeout: the queue's visibility timeout is six times it."
  type        = number

  validation {
    condition     = var.function_timeout_seconds >= 1 && var.function_timeout_seconds <= 900
    error_message = "Lambda timeouts are 1 to 900 seconds."
  }
}

variable "maximum_concurrency" {
  description = "Runs at once at most: size it from the Bedrock quota (README: Fleet), not from the number of clients."
  type        = number
  default     = 10

  validation {
    condition     = var.maximum_concurrency >= 2 && var.maximum_concurrency <= 1000
    error_message = "Lambda accepts a maximum concurrency of 2 to 1000 for an SQS event source."
  }
}

variable "max_receive_count" {
  description = "Deliveries of a run before it is kept in the dead-letter queue."
  type        = number
  default     = 3

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 10
    error_message = "Use 1 to 10 deliveries."
  }
}

variable "run_retention_seconds" {
  description = "How long a run waits in the queue before it is dropped (a day: a weekly edition later than that is stale)."
  type        = number
  default     = 86400

  validation {
    condition     = var.run_retention_seconds >= 60 && var.run_retention_seconds <= 1209600
    error_message = "SQS keeps messages 60 seconds to 14 days."
  }
}

variable "failed_runs_retention_seconds" {
  description = "How long failed runs stay in the dead-letter queue."
  type        = number
  default     = 1209600

  validation {
    condition     = var.failed_runs_retention_seconds >= 60 && var.failed_runs_retention_seconds <= 1209600
    error_message = "SQS keeps messages 60 seconds to 14 days."
  }
}

variable "enabled" {
  description = "Whether Lambda polls the queue. An emulator that cannot run the function needs false: the toolkit polls for it."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to the queues and the scheduler role."
  type        = map(string)
  default     = {}
}
