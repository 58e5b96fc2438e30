data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id

  # The zip's sha256, hex for the object key and base64 as Lambda reports it (CodeSha256), so the toolkit
  # can find the object behind any published version.
  package_sha256_hex    = filesha256(var.package_path)
  package_sha256_base64 = filebase64sha256(var.package_path)

  # The failure queue's ARN follows from its name, so nothing but the alias's destination waits for the queue: the
  # AWS provider holds every new queue for ~25 s, until six reads 5 s apart agree (hashicorp/terraform-provider-aws
  # #34787, on any endpoint), and the execution policy, the function, its alias, schedules and alarms are created
  # meanwhile. A precondition on the destination checks that the queue got this ARN.
  failed_invocations_queue_name = "${var.function_name}-failed-invocations"
  failed_invocations_queue_arn  = "arn:${local.partition}:sqs:${data.aws_region.current.name}:${local.account_id}:${local.failed_invocations_queue_name}"

  bucket_arns = {
    config      = "arn:${local.partition}:s3:::${var.config_bucket_name}"
    data        = "arn:${local.partition}:s3:::${var.data_bucket_name}"
    newsletters = "arn:${local.partition}:s3:::${var.newsletters_bucket_name}"
  }

  # A cross-Region profile is invoked in its source Region and runs the foundation model in whichever
  # destination Region Bedrock routes it to. AWS changes a geography's destination Regions over time, and a
  # Region missing from a hand-kept list is AccessDenied for the calls routed there only (intermittent), so
  # the foundation model is allowed in any Region ("*") and only through the profile (the
  # bedrock:InferenceProfileArn condition below): the profile itself fixes the geography. Reading the
  # profile's model ARNs from AWS (aws_bedrock_inference_profile) would need Bedrock read access at plan time
  # and still drift when AWS adds a Region between two applies.
  inference_profiles = {
    for profile in var.bedrock_inference_profiles : split(".", profile.id)[0] => {
      arn       = "arn:${local.partition}:bedrock:${profile.source_region}:${local.account_id}:inference-profile/${profile.id}"
      model_arn = "arn:${local.partition}:bedrock:*::foundation-model/${join(".", slice(split(".", profile.id), 1, length(split(".", profile.id))))}"
    }
  }
}

data "aws_iam_policy_document" "assume_role" {
  statement {
    sid     = "LambdaAssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.function_name}-role"
  description        = "Execution role of ${var.function_name}"
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
  tags               = var.tags
}

data "aws_iam_policy_document" "permissions" {
  statement {
    sid       = "InvokeInferenceProfiles"
    actions   = ["bedrock:InvokeModel"]
    resources = sort([for profile in local.inference_profiles : profile.arn])
  }

  dynamic "statement" {
    for_each = local.inference_profiles

    content {
      sid       = "InvokeFoundationModelThrough${upper(statement.key)}Profile"
      actions   = ["bedrock:InvokeModel"]
      resources = [statement.value.model_arn]

      condition {
        test     = "StringEquals"
        variable = "bedrock:InferenceProfileArn"
        values   = [statement.value.arn]
      }
    }
  }

  statement {
    sid       = "ReadWriteEditorialCache"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${local.bucket_arns.newsletters}/${var.cache_prefix}*"]
  }

  # Check runs keep their own editorial cache under the checks prefix; they write it through WriteCheckRuns.
  statement {
    sid       = "ReadCheckRunCache"
    actions   = ["s3:GetObject"]
    resources = ["${local.bucket_arns.newsletters}/${var.checks_prefix}${var.cache_prefix}*"]
  }

  # Listing the cache prefixes makes a cache miss a 404 rather than a 403.
  statement {
    sid       = "ListEditorialCache"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arns.newsletters]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.cache_prefix}*", "${var.checks_prefix}${var.cache_prefix}*"]
    }
  }

  # Smoke tests, rollback drills and benchmarks write only here, never under the published prefix.
  statement {
    sid       = "WriteCheckRuns"
    actions   = ["s3:PutObject"]
    resources = ["${local.bucket_arns.newsletters}/${var.checks_prefix}*"]
  }

  statement {
    sid       = "PublishNewsletters"
    actions   = ["s3:PutObject"]
    resources = ["${local.bucket_arns.newsletters}/${var.newsletters_prefix}*"]
  }

  statement {
    sid       = "ListConfig"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arns.config]
  }

  statement {
    sid       = "ReadConfig"
    actions   = ["s3:GetObject"]
    resources = ["${local.bucket_arns.config}/*"]
  }

  statement {
    sid       = "ListData"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arns.data]
  }

  # Each client's own state: feed state, its index of normalized items, edition history, write leases and the
  # claims of shared work (locks/), and what check runs keep apart (checks/).
  statement {
    sid     = "ReadWriteClientData"
    actions = ["s3:GetObject", "s3:PutObject"]
    resources = [
      for prefix in ["feed-state/", "items/", "history/", "locks/", var.checks_prefix] : "${local.bucket_arns.data}/${prefix}*"
    ]
  }

  # The shared store: feed records and normalizations every client reuses. Writes there are conditional (IfNoneMatch,
  # IfMatch), which needs nothing beyond s3:PutObject; nothing is deleted there but by the bucket's expiry.
  statement {
    sid       = "ReadWriteSharedStore"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${local.bucket_arns.data}/${var.shared_prefix}*"]
  }

  # Runs writing the same newsletter take turns through a lease object they create and delete; runs sharing work
  # release their claims (locks/shared/...) the same way.
  statement {
    sid       = "ReleaseWriteLeases"
    actions   = ["s3:DeleteObject"]
    resources = ["${local.bucket_arns.data}/locks/*"]
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  # Lambda sends the record of a failed asynchronous invocation to the on-failure destination with the
  # function's own execution role.
  statement {
    sid       = "KeepFailedInvocations"
    actions   = ["sqs:SendMessage"]
    resources = [local.failed_invocations_queue_arn]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.function_name}-permissions"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.permissions.json
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:Logs hold run diagnostics, no personal or secret data; the service-managed encryption of CloudWatch Logs is enough.
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

# The package the function is first created from. The toolkit owns the code afterwards: it uploads each new
# package beside this one and publishes versions, so Terraform never looks at this object again.
resource "aws_s3_object" "bootstrap_package" {
  bucket       = var.artifacts_bucket_name
  key          = "${var.function_name}/${local.package_sha256_hex}.zip"
  source       = var.package_path
  content_type = "application/zip"
  metadata = {
    "code-sha256" = local.package_sha256_base64
  }
  tags = var.tags

  lifecycle {
    ignore_changes = [key, source, source_hash, etag, metadata, content_type]
  }
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_50:No trace consumer exists; structured logs carry per-stage timings, and X-Ray would need a wildcard-resource grant.
  #checkov:skip=CKV_AWS_116:Failed scheduled runs go to the on-failure destination of the live alias (below), which keeps the whole invocation record; a dead-letter queue would keep only the payload.
  #checkov:skip=CKV_AWS_117:The function only calls AWS APIs and public feeds; a VPC would add NAT cost and no isolation benefit.
  #checkov:skip=CKV_AWS_173:The environment holds bucket names, Regions and model ids, no secrets; Lambda encrypts it at rest with a service key.
  #checkov:skip=CKV_AWS_272:Packages are built reproducibly and addressed by sha256 (checked against CodeSha256 on deploy) rather than signed.
  function_name                  = var.function_name
  description                    = "Vectora Inbox newsletter engine"
  role                           = aws_iam_role.this.arn
  runtime                        = var.runtime
  handler                        = var.handler
  architectures                  = [var.architecture]
  timeout                        = var.timeout
  memory_size                    = var.memory_size
  reserved_concurrent_executions = var.reserved_concurrent_executions
  publish                        = true

  s3_bucket        = aws_s3_object.bootstrap_package.bucket
  s3_key           = aws_s3_object.bootstrap_package.key
  source_code_hash = local.package_sha256_base64

  environment {
    variables = var.environment_variables
  }

  tags = var.tags

  lifecycle {
    # Code belongs to the toolkit after creation: a later apply must not redeploy an older package.
    ignore_changes = [s3_bucket, s3_key, s3_object_version, source_code_hash, filename, image_uri]
  }

  # The role must be able to write logs, and the log group must exist with its retention, before a first run.
  depends_on = [aws_iam_role_policy.this, aws_cloudwatch_log_group.this]
}

# The function's `version` attribute is its latest published version: every deploy moves it, and a plan reading
# it would report that as a change made outside Terraform. The version published with the function is kept here
# once, and only this is read.
resource "terraform_data" "initial_version" {
  input = aws_lambda_function.this.version

  lifecycle {
    ignore_changes = [input]
  }
}

resource "aws_lambda_alias" "live" {
  name             = var.alias_name
  description      = "Version invoked by the schedules; moved by the toolkit on deploy and rollback."
  function_name    = aws_lambda_function.this.function_name
  function_version = terraform_data.initial_version.output

  lifecycle {
    # Terraform only creates the alias: the toolkit's deploys and rollbacks move it, and an apply must not undo them.
    ignore_changes = [function_version, routing_config]
  }
}

# Scheduled runs are asynchronous invocations of the alias: after the retries, Lambda sends the failed
# invocation (request, error, attempts) to this queue instead of leaving it only in the logs.
resource "aws_sqs_queue" "failed_invocations" {
  name                      = local.failed_invocations_queue_name
  message_retention_seconds = var.failed_invocations_retention_seconds
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

resource "aws_lambda_function_event_invoke_config" "live" {
  function_name                = aws_lambda_function.this.function_name
  qualifier                    = aws_lambda_alias.live.name
  maximum_retry_attempts       = var.async_maximum_retry_attempts
  maximum_event_age_in_seconds = var.async_maximum_event_age_seconds

  destination_config {
    on_failure {
      destination = aws_sqs_queue.failed_invocations.arn
    }
  }

  # The role must be allowed to send to the queue before Lambda accepts it as a destination.
  depends_on = [aws_iam_role_policy.this]

  lifecycle {
    precondition {
      condition     = aws_sqs_queue.failed_invocations.arn == local.failed_invocations_queue_arn
      error_message = "The failure queue's ARN differs from the one the execution policy allows to receive failed invocations."
    }
  }
}
