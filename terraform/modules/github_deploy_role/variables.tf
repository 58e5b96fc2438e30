#### Who may assume the roles ######################################################################################

variable "github_repository" {
  description = "The GitHub repository (owner/name) whose workflows may assume the roles."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "Give the repository as owner/name, such as acme/vectora-inbox."
  }
}

variable "github_owner_id" {
  description = "Numeric id of the repository's owner, for a repository with immutable OIDC subject claims (null: the subject names the repository by name only)."
  type        = number
  default     = null

  validation {
    condition     = var.github_owner_id == null || try(var.github_owner_id > 0 && floor(var.github_owner_id) == var.github_owner_id, false)
    error_message = "The owner id is GitHub's positive integer id of the user or organization (gh api users/OWNER --jq .id)."
  }
}

variable "github_repository_id" {
  description = "Numeric id of the repository, for immutable OIDC subject claims; set together with github_owner_id."
  type        = number
  default     = null

  validation {
    condition     = var.github_repository_id == null || try(var.github_repository_id > 0 && floor(var.github_repository_id) == var.github_repository_id, false)
    error_message = "The repository id is GitHub's positive integer id of the repository (gh api repos/OWNER/REPO --jq .id)."
  }
}

variable "github_environment" {
  description = "GitHub environment whose jobs may assume the deploy role (protect it to the main branch)."
  type        = string
  default     = "dev"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,255}$", var.github_environment))
    error_message = "A GitHub environment name is letters, digits, dots, hyphens or underscores."
  }
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider; false when the account already has one (give its ARN)."
  type        = bool
  default     = true
}

variable "existing_oidc_provider_arn" {
  description = "ARN of the account's GitHub OIDC provider when create_oidc_provider is false."
  type        = string
  default     = null

  validation {
    condition     = var.existing_oidc_provider_arn == null || can(regex("^arn:[a-z-]+:iam::[0-9]{12}:oidc-provider/token\\.actions\\.githubusercontent\\.com$", var.existing_oidc_provider_arn))
    error_message = "The provider ARN ends in oidc-provider/token.actions.githubusercontent.com."
  }
}

variable "oidc_thumbprints" {
  description = "Certificate thumbprints of token.actions.githubusercontent.com (AWS trusts its own CA list for GitHub; kept for the API)."
  type        = list(string)
  default     = ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]
}

variable "role_name_prefix" {
  description = "Prefix of the two role names: <prefix>-deploy and <prefix>-plan."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,56}$", var.role_name_prefix))
    error_message = "The prefix is 1-56 characters allowed in IAM role names."
  }
}

#### What the roles may touch #######################################################################################

variable "state_bucket" {
  description = "Bucket holding the Terraform state of the environment."
  type        = string
}

variable "state_key" {
  description = "Key of the environment's state object (its lock object is the same key plus .tflock)."
  type        = string
}

variable "function_name" {
  description = "Name of the engine's function; every resource of the stack is named from it."
  type        = string
}

variable "bucket_names" {
  description = "The stack's buckets: config, data, newsletters, artifacts."
  type = object({
    config      = string
    data        = string
    newsletters = string
    artifacts   = string
  })
}

variable "region" {
  description = "Region of the stack."
  type        = string
}

variable "tags" {
  description = "Tags added to the roles and the OIDC provider."
  type        = map(string)
  default     = {}
}
