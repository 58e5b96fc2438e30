variable "environment" {
  description = "The environment whose stack the roles release: env/<environment>.json names its resources."
  type        = string
  default     = "dev"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,20}$", var.environment))
    error_message = "An environment name is lowercase letters, digits and hyphens, as env/<name>.json."
  }
}

variable "github_repository" {
  description = "The GitHub repository (owner/name) whose workflows may assume the roles."
  type        = string
}

variable "github_owner_id" {
  description = "Numeric id of the repository's owner when the repository uses immutable OIDC subject claims (see the README)."
  type        = number
  default     = null
}

variable "github_repository_id" {
  description = "Numeric id of the repository when it uses immutable OIDC subject claims (see the README)."
  type        = number
  default     = null
}

variable "github_environment" {
  description = "GitHub environment of the release and rollback jobs (default: the environment's name)."
  type        = string
  default     = null
}

variable "state_bucket" {
  description = "Bucket of the environment's Terraform state (repository variable TF_STATE_BUCKET)."
  type        = string
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider; false when it exists (then give existing_oidc_provider_arn)."
  type        = bool
  default     = true
}

variable "existing_oidc_provider_arn" {
  description = "ARN of the existing GitHub OIDC provider when create_oidc_provider is false."
  type        = string
  default     = null
}
