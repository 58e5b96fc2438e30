# One-time set-up of a real account for CI: GitHub's OIDC provider and the two roles the workflows assume.
# Applied by an administrator, once per environment (see the README, "CI/CD and operations").
locals {
  environment = jsondecode(file("${path.module}/../../env/${var.environment}.json"))
}

provider "aws" {
  region = local.environment.aws_region

  default_tags {
    tags = {
      Project     = local.environment.lambda_environment.PROJECT_NAME
      Environment = local.environment.name
      ManagedBy   = "terraform"
    }
  }
}

module "github_deploy_role" {
  source = "../modules/github_deploy_role"

  github_repository          = var.github_repository
  github_owner_id            = var.github_owner_id
  github_repository_id       = var.github_repository_id
  github_environment         = coalesce(var.github_environment, local.environment.name)
  create_oidc_provider       = var.create_oidc_provider
  existing_oidc_provider_arn = var.existing_oidc_provider_arn
  role_name_prefix           = "${local.environment.lambda_environment.PROJECT_NAME}-${local.environment.name}-github"

  state_bucket  = var.state_bucket
  state_key     = "vectora-inbox/${local.environment.name}/terraform.tfstate"
  function_name = local.environment.function_name
  region        = local.environment.aws_region
  bucket_names = {
    config      = local.environment.lambda_environment.CONFIG_BUCKET
    data        = local.environment.lambda_environment.DATA_BUCKET
    newsletters = local.environment.lambda_environment.NEWSLETTERS_BUCKET
    artifacts   = local.environment.artifacts_bucket
  }
}
