variable "bucket_names" {
  description = <<-EOT
    Names of the four buckets: config (client and canonical configuration, read by the engine), data (ingested
    and normalised items), newsletters (published newsletters and the editorial cache) and artifacts (function
    packages keyed by content hash, so any version can be fetched back).
  EOT
  type = object({
    config      = string
    data        = string
    newsletters = string
    artifacts   = string
  })

  validation {
    condition     = alltrue([for name in values(var.bucket_names) : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", name))])
    error_message = "Bucket names are 3-63 lowercase letters, digits, dots or hyphens."
  }

  validation {
    condition     = length(distinct(values(var.bucket_names))) == 4
    error_message = "The four buckets need four different names."
  }
}

variable "cache_prefix" {
  description = "Key prefix of the editorial cache in the newsletters bucket; its objects expire."
  type        = string
  default     = "cache/"

  validation {
    condition     = can(regex("^[a-z0-9_-]+/$", var.cache_prefix))
    error_message = "The cache prefix is a single folder name ending with a slash, such as \"cache/\"."
  }
}

variable "cache_expiration_days" {
  description = "Days after which a cached editorial is deleted."
  type        = number
  default     = 30

  validation {
    condition     = var.cache_expiration_days >= 1 && floor(var.cache_expiration_days) == var.cache_expiration_days
    error_message = "The cache expiration is a whole number of days, at least 1."
  }
}

variable "checks_prefix" {
  description = "Key prefix of check-run output (smoke tests, rollback drills, benchmarks) in the newsletters bucket; its objects expire soon."
  type        = string
  default     = "checks/"

  validation {
    condition     = can(regex("^[a-z0-9_-]+/$", var.checks_prefix))
    error_message = "The checks prefix is a single folder name ending with a slash, such as \"checks/\"."
  }
}

variable "checks_expiration_days" {
  description = "Days after which the output of a check run is deleted: long enough to inspect a failed smoke test."
  type        = number
  default     = 3

  validation {
    condition     = var.checks_expiration_days >= 1 && floor(var.checks_expiration_days) == var.checks_expiration_days
    error_message = "The check-run expiration is a whole number of days, at least 1."
  }
}

variable "shared_prefix" {
  description = "Prefix of the data bucket's shared store (feeds and normalizations reused across clients)."
  type        = string
  default     = "shared/"

  validation {
    condition     = can(regex("^[a-z0-9_-]+/$", var.shared_prefix))
    error_message = "A prefix is lowercase letters, digits, hyphens or underscores ending in a slash."
  }
}

variable "shared_store_expiration_days" {
  description = "Days after which a shared feed record or normalization expires (it is made again when needed)."
  type        = number
  default     = 30

  validation {
    condition     = var.shared_store_expiration_days >= 1
    error_message = "Keep shared records at least a day."
  }
}

variable "lifecycle_rules" {
  description = <<-EOT
    Create the buckets' lifecycle rules (expiring cache and check runs, old versions, abandoned uploads). Keep true
    on AWS. An emulator never applies them, and the AWS provider waits about a minute after creating them until S3
    reports them stable, so the emulator environment may set false.
  EOT
  type        = bool
  default     = true
}

variable "noncurrent_version_expiration_days" {
  description = "Days a replaced or deleted object version is kept in the versioned buckets before it is removed."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "The noncurrent version expiration is a whole number of days, at least 1."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which the parts of an unfinished multipart upload are deleted."
  type        = number
  default     = 7

  validation {
    condition     = var.abort_incomplete_multipart_upload_days >= 1
    error_message = "Incomplete multipart uploads are kept at least 1 day."
  }
}

variable "deny_insecure_transport" {
  description = "Attach a bucket policy refusing any request not made over TLS. Only an emulator speaking plain HTTP needs false."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete non-empty buckets. Keep false outside throwaway environments."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every bucket."
  type        = map(string)
  default     = {}
}
