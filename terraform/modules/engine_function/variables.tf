variable "function_name" {
  description = "Name of the Lambda function; also names its role, policy and log group."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,56}$", var.function_name))
    error_message = "The function name is 1-56 letters, digits, hyphens or underscores (the role name adds a suffix)."
  }
}

variable "runtime" {
  description = "Lambda Python runtime, such as python3.12."
  type        = string

  validation {
    condition     = can(regex("^python3\\.[0-9]+$", var.runtime))
    error_message = "The runtime is a Lambda Python runtime identifier such as python3.12."
  }
}

variable "handler" {
  description = "Entry point as module.function, relative to the package root."
  type        = string
  default     = "handler.lambda_handler"

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_.]*\\.[A-Za-z_][A-Za-z0-9_]*$", var.handler))
    error_message = "The handler is module.function, such as handler.lambda_handler."
  }
}

variable "architecture" {
  description = "Instruction set the package was built for: x86_64 or arm64."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "The architecture is x86_64 or arm64."
  }
}

variable "timeout" {
  description = "Maximum run time of one invocation, in seconds."
  type        = number
  default     = 900

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "Lambda timeouts are 1 to 900 seconds."
  }
}

variable "memory_size" {
  description = "Memory of the function in MB (CPU grows with it)."
  type        = number
  default     = 512

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "Lambda memory is 128 to 10240 MB."
  }
}

variable "reserved_concurrent_executions" {
  description = "Concurrent executions reserved for the function; -1 leaves it on the account's unreserved pool."
  type        = number
  default     = -1

  validation {
    condition     = var.reserved_concurrent_executions >= -1
    error_message = "Use -1 (unreserved) or a non-negative number."
  }
}

variable "log_retention_days" {
  description = "Days the function's logs are kept."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "CloudWatch Logs accepts 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653 days."
  }
}

variable "environment_variables" {
  description = "The function's environment, set exactly as given."
  type        = map(string)
}

variable "alias_name" {
  description = "Alias that schedules invoke; the toolkit moves it between versions to deploy and roll back."
  type        = string
  default     = "live"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_-]{0,127}$", var.alias_name)) && !can(regex("^[0-9]+$", var.alias_name))
    error_message = "An alias name starts with a letter and holds letters, digits, hyphens or underscores."
  }
}

variable "package_path" {
  description = "Path of the zip the function is first created from; later code changes are deployed by the toolkit."
  type        = string

  validation {
    condition     = endswith(var.package_path, ".zip")
    error_message = "The package is a .zip file built by `invoke package`."
  }
}

variable "artifacts_bucket_name" {
  description = "Bucket receiving the package as <function_name>/<sha256 hex>.zip."
  type        = string
}

variable "config_bucket_name" {
  description = "Bucket the function reads its configuration from."
  type        = string
}

variable "data_bucket_name" {
  description = "Bucket the function reads and writes its working data in."
  type        = string
}

variable "newsletters_bucket_name" {
  description = "Bucket the function publishes newsletters to and keeps its editorial cache in."
  type        = string
}

variable "cache_prefix" {
  description = "Key prefix of the editorial cache in the newsletters bucket."
  type        = string
  default     = "cache/"

  validation {
    condition     = endswith(var.cache_prefix, "/")
    error_message = "The cache prefix ends with a slash."
  }
}

variable "shared_prefix" {
  description = "Prefix of the data bucket's shared store (feeds and normalizations reused across clients)."
  type        = string
  default     = "shared/"

  validation {
    condition     = endswith(var.shared_prefix, "/") && var.shared_prefix != "/"
    error_message = "The shared prefix is a folder name ending with a slash."
  }
}

variable "checks_prefix" {
  description = "Key prefix of check-run output (smoke tests, rollback drills, benchmarks), their editorial cache included."
  type        = string
  default     = "checks/"

  validation {
    condition     = endswith(var.checks_prefix, "/") && var.checks_prefix != "/"
    error_message = "The checks prefix is a folder name ending with a slash."
  }
}

variable "newsletters_prefix" {
  description = "Key prefix under which newsletters are published."
  type        = string
  default     = "newsletters/"

  validation {
    condition     = endswith(var.newsletters_prefix, "/")
    error_message = "The newsletters prefix ends with a slash."
  }
}

variable "bedrock_inference_profiles" {
  description = <<-EOT
    Cross-Region inference profiles the function may invoke: the profile id (such as
    eu.anthropic.claude-sonnet-4-5-20250929-v1:0) and the Region it is called from. The foundation model behind
    a profile is allowed in any destination Region, and only through that profile.
  EOT
  type = list(object({
    id            = string
    source_region = string
  }))

  validation {
    condition     = length(var.bedrock_inference_profiles) > 0 && alltrue([for p in var.bedrock_inference_profiles : can(regex("^[a-z]+\\.[a-z0-9-]+\\.[A-Za-z0-9.:-]+$", p.id))])
    error_message = "Give at least one profile; ids look like <geography>.<provider>.<model>, such as us.anthropic.claude-sonnet-4-5-20250929-v1:0."
  }

  validation {
    condition     = alltrue([for p in var.bedrock_inference_profiles : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", p.source_region))])
    error_message = "A profile's source Region is a Region name such as eu-west-3."
  }

  validation {
    condition     = length(distinct([for p in var.bedrock_inference_profiles : split(".", p.id)[0]])) == length(var.bedrock_inference_profiles)
    error_message = "Give one profile per geography (eu., us., ...)."
  }
}

variable "async_maximum_retry_attempts" {
  description = "Retries Lambda makes after a failed asynchronous (scheduled) invocation: 0, 1 or 2."
  type        = number
  default     = 1

  validation {
    condition     = contains([0, 1, 2], var.async_maximum_retry_attempts)
    error_message = "Lambda retries an asynchronous invocation 0, 1 or 2 times."
  }
}

variable "async_maximum_event_age_seconds" {
  description = "Age after which a queued scheduled invocation is dropped instead of run late."
  type        = number
  default     = 21600

  validation {
    condition     = var.async_maximum_event_age_seconds >= 60 && var.async_maximum_event_age_seconds <= 21600
    error_message = "The maximum event age is 60 to 21600 seconds."
  }
}

variable "failed_invocations_retention_seconds" {
  description = "How long the failure queue keeps a failed scheduled invocation (SQS allows 60 s to 14 days)."
  type        = number
  default     = 1209600

  validation {
    condition     = var.failed_invocations_retention_seconds >= 60 && var.failed_invocations_retention_seconds <= 1209600
    error_message = "SQS keeps messages 60 to 1209600 seconds (14 days)."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}
