locals {
  # env/local.json is the one source of truth shared with the toolkit; client schedules come from config/clients.
  environment = jsondecode(file("${path.module}/../../../env/local.json"))
  clients_dir = "${path.module}/../../../config/clients"
  clients     = [for name in sort(fileset(local.clients_dir, "*.yaml")) : yamldecode(file("${local.clients_dir}/${name}"))]
}

provider "aws" {
  region = local.environment.aws_region

  # An emulator serves every bucket on its own host name, so bucket names go in the path there.
  s3_use_path_style = local.environment.emulator

  default_tags {
    tags = {
      Project     = local.environment.lambda_environment.PROJECT_NAME
      Environment = local.environment.name
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
  # The emulator cannot run the function: its mapping would take runs off the queue, fail to invoke and send them to
  # the dead-letter queue. It stays disabled there and the toolkit polls the queue with the mapping's concurrency.
  fleet_mapping_enabled = !local.environment.emulator
  # The emulator never expires anything, and creating the rules costs a fixed ~55 s wait in the AWS provider;
  # the Terraform tests set TF_VAR_bucket_lifecycle_rules=true to check the rules on the emulator all the same.
  bucket_lifecycle_rules = var.bucket_lifecycle_rules
}
