variable "environment" {
  description = "The decoded env/<env>.json file: the one source of names and settings shared with the toolkit."
  type = object({
    name               = string
    aws_region         = string
    function_name      = string
    alias_name         = string
    runtime            = string
    architecture       = string
    handler            = string
    timeout            = number
    memory_size        = number
    log_retention_days = number
    artifacts_bucket   = string
    lambda_environment = map(string)
  })

  validation {
    condition = alltrue([
      for key in ["ENV", "CONFIG_BUCKET", "DATA_BUCKET", "NEWSLETTERS_BUCKET"] : contains(keys(var.environment.lambda_environment), key)
    ])
    error_message = "lambda_environment names the ENV, CONFIG_BUCKET, DATA_BUCKET and NEWSLETTERS_BUCKET."
  }

  validation {
    condition = alltrue([
      for key, value in var.environment.lambda_environment :
      contains(keys(var.environment.lambda_environment), replace(key, "MODEL_ID", "REGION"))
      if can(regex("^BEDROCK_MODEL_ID", key))
    ])
    error_message = "Every BEDROCK_MODEL_ID* variable has a matching BEDROCK_REGION* variable."
  }
}

variable "clients" {
  description = "Decoded config/clients/*.yaml documents; each with a schedule ({expression, payload}) gets a schedule."
  type        = any
  default     = []

  validation {
    condition     = alltrue([for client in var.clients : can(regex("^[a-z0-9][a-z0-9_-]*$", client.client_id))])
    error_message = "Every client document has a client_id of lowercase letters, digits, hyphens or underscores."
  }
}

variable "package_path" {
  description = "Zip the function is created from on the first apply (built by `invoke package`)."
  type        = string
}

variable "cache_expiration_days" {
  description = "Days after which a cached editorial expires from the newsletters bucket."
  type        = number
  default     = 30
}

variable "bucket_lifecycle_rules" {
  description = "Create the buckets' lifecycle rules (expiry of cache, check runs, old versions). Only an emulator, which never runs them, may skip them."
  type        = bool
  default     = true
}

variable "deny_insecure_transport" {
  description = "Refuse S3 requests not made over TLS (bucket policies). Only an emulator speaking plain HTTP needs false."
  type        = bool
  default     = true
}

variable "force_destroy_buckets" {
  description = "Let `terraform destroy` empty and delete the buckets. Only for throwaway environments."
  type        = bool
  default     = false
}

variable "fleet_maximum_concurrency" {
  description = "Client runs at once at most (the run queue's event source mapping): what the Bedrock quota serves, see README Fleet."
  type        = number
  default     = 100

  validation {
    condition     = var.fleet_maximum_concurrency >= 2 && var.fleet_maximum_concurrency <= 1000
    error_message = "Lambda accepts a maximum concurrency of 2 to 1000 for an SQS event source."
  }
}

variable "fleet_mapping_enabled" {
  description = "Whether Lambda polls the run queue. Only an emulator, which cannot run the function, needs false (the toolkit polls)."
  type        = bool
  default     = true
}

variable "alarm_email" {
  description = "Address the alarm topic emails (from `alarm_email` in env/<env>.json); null for none."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to the resources that take them (the provider's default_tags add more)."
  type        = map(string)
  default     = {}
}
