data "aws_caller_identity" "current" {}

locals {
  # env/dev.json is the one source of truth shared with the toolkit; client schedules come from config/clients.
  # The provider reads only the Region from it: the rest may name buckets by {account_id}, known once it runs.
  env_file = jsondecode(file("${path.module}/../../../env/dev.json"))
  # Bucket names are global across accounts: {account_id} makes them this account's own (the toolkit fills it
  # in the same way from the caller's credentials).
  environment = merge(local.env_file, {
    artifacts_bucket = replace(local.env_file.artifacts_bucket, "{account_id}", data.aws_caller_identity.current.account_id)
    lambda_environment = {
      for key, value in local.env_file.lambda_environment :
      key => endswith(key, "_BUCKET") ? replace(value, "{account_id}", data.aws_caller_identity.current.account_id) : value
    }
  })
  clients_dir = "${path.module}/../../../config/clients"
  clients     = [for name in sort(fileset(local.clients_dir, "*.yaml")) : yamldecode(file("${local.clients_dir}/${name}"))]
}

provider "aws" {
  region = local.env_file.aws_region

  # An emulator serves every bucket on its own host name, so bucket names go in the path there.
  s3_use_path_style = local.env_file.emulator

  default_tags {
    tags = {
      Project     = local.env_file.lambda_environment.PROJECT_NAME
      Environment = local.env_file.name
      ManagedBy   = "terraform"
    }
  }
}

module "vectora_inbox" {
  source = "../../modules/vectora_inbox"

  environment  = local.environment
  clients      = local.clients
  package_path = var.package_path
  # An emulator is throwaway and speaks plain HTTP; real accounts keep their buckets and require TLS.
  force_destroy_buckets   = local.environment.emulator
  deny_insecure_transport = !local.environment.emulator
  # Optional in the env file: the address alarms are emailed to.
  alarm_email = try(local.environment.alarm_email, "") == "" ? null : local.environment.alarm_email
  # Optional in the env file: how many client runs share the Bedrock quota at once (README: Fleet).
  fleet_maximum_concurrency = try(local.environment.fleet_maximum_concurrency, 100)
}
