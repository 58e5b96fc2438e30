locals {
  lambda_environment = var.environment.lambda_environment

  # Each BEDROCK_MODEL_ID* variable names an inference profile called from the matching BEDROCK_REGION*.
  inference_profiles = distinct([
    for key, model_id in local.lambda_environment : {
      id            = model_id
      source_region = local.lambda_environment[replace(key, "MODEL_ID", "REGION")]
    } if can(regex("^BEDROCK_MODEL_ID", key))
  ])

  schedules = {
    for client in var.clients : client.client_id => client.schedule
    if try(client.schedule.expression, null) != null
  }
}

module "buckets" {
  source = "../buckets"

  bucket_names = {
    config      = local.lambda_environment.CONFIG_BUCKET
    data        = local.lambda_environment.DATA_BUCKET
    newsletters = local.lambda_environment.NEWSLETTERS_BUCKET
    artifacts   = var.environment.artifacts_bucket
  }
  cache_expiration_days   = var.cache_expiration_days
  lifecycle_rules         = var.bucket_lifecycle_rules
  deny_insecure_transport = var.deny_insecure_transport
  force_destroy           = var.force_destroy_buckets
  tags                    = var.tags
}

module "engine_function" {
  source = "../engine_function"

  function_name         = var.environment.function_name
  runtime               = var.environment.runtime
  handler               = var.environment.handler
  architecture          = var.environment.architecture
  timeout               = var.environment.timeout
  memory_size           = var.environment.memory_size
  log_retention_days    = var.environment.log_retention_days
  alias_name            = var.environment.alias_name
  environment_variables = local.lambda_environment
  package_path          = var.package_path

  artifacts_bucket_name   = module.buckets.artifacts_bucket_name
  config_bucket_name      = module.buckets.bucket_names["config"]
  data_bucket_name        = module.buckets.bucket_names["data"]
  newsletters_bucket_name = module.buckets.bucket_names["newsletters"]
  cache_prefix            = module.buckets.cache_prefix
  checks_prefix           = module.buckets.checks_prefix
  shared_prefix           = module.buckets.shared_prefix

  bedrock_inference_profiles = local.inference_profiles
  tags                       = var.tags
}

# The fleet's runs: every client's schedule sends its run to one queue, read with a bounded concurrency.
module "fleet_fanout" {
  source = "../fleet_fanout"

  function_name            = module.engine_function.function_name
  alias_arn                = module.engine_function.alias_arn
  function_role_name       = module.engine_function.role_name
  function_timeout_seconds = var.environment.timeout
  maximum_concurrency      = var.fleet_maximum_concurrency
  enabled                  = var.fleet_mapping_enabled
  tags                     = var.tags
}

module "client_schedule" {
  source   = "../client_schedule"
  for_each = local.schedules

  client_id           = each.key
  schedule_expression = each.value.expression
  timezone            = try(each.value.timezone, "UTC")
  payload             = try(each.value.payload, {})
  enabled             = try(each.value.enabled, true)
  function_name       = module.engine_function.function_name
  target_arn          = module.fleet_fanout.queue_arn
  role_arn            = module.fleet_fanout.scheduler_role_arn
}

module "alarms" {
  source = "../alarms"

  function_name    = module.engine_function.function_name
  alias_name       = module.engine_function.alias_name
  timeout_seconds  = var.environment.timeout
  environment_name = local.lambda_environment.ENV
  client_schedules = local.schedules
  alarm_email      = var.alarm_email
  tags             = var.tags
}
