data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition
  account   = data.aws_caller_identity.current.account_id
  oidc_host = "token.actions.githubusercontent.com"

  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : var.existing_oidc_provider_arn

  # The repository as the token's `sub` claim names it. A repository with immutable subject claims (created,
  # renamed or transferred after GitHub turned them on, or opted in) appends the owner's and the repository's
  # numeric ids to their names with `@`: repo:octocat@123456/my-repo@456789:environment:dev
  # (https://docs.github.com/en/actions/concepts/security/openid-connect#immutable-subject-claims). With the ids
  # given, only that form is trusted: a recycled name cannot reach the roles.
  immutable_subject = var.github_owner_id != null && var.github_repository_id != null
  repository_parts  = split("/", var.github_repository)
  subject_repository = local.immutable_subject ? format(
    "%s@%d/%s@%d", local.repository_parts[0], var.github_owner_id, local.repository_parts[1], var.github_repository_id
  ) : var.github_repository

  # Every resource of the stack is named from the function (see terraform/modules/*): the grants below name
  # them the same way, so the roles reach this stack and nothing else in the account.
  fn              = var.function_name
  function_arns   = ["arn:${local.partition}:lambda:${var.region}:${local.account}:function:${local.fn}", "arn:${local.partition}:lambda:${var.region}:${local.account}:function:${local.fn}:*"]
  stack_roles_arn = "arn:${local.partition}:iam::${local.account}:role/${local.fn}-*"
  execution_role  = "arn:${local.partition}:iam::${local.account}:role/${local.fn}-role"
  schedule_roles  = "arn:${local.partition}:iam::${local.account}:role/${local.fn}-*-schedule"
  log_group_arn   = "arn:${local.partition}:logs:${var.region}:${local.account}:log-group:/aws/lambda/${local.fn}"
  alarms_arn      = "arn:${local.partition}:cloudwatch:${var.region}:${local.account}:alarm:${local.fn}-*"
  topic_arn       = "arn:${local.partition}:sns:${var.region}:${local.account}:${local.fn}-alarms"
  queue_arn       = "arn:${local.partition}:sqs:${var.region}:${local.account}:${local.fn}-failed-invocations"
  # The fleet's run queue and its dead-letter queue (terraform/modules/fleet_fanout).
  run_queue_arns = [
    "arn:${local.partition}:sqs:${var.region}:${local.account}:${local.fn}-runs",
    "arn:${local.partition}:sqs:${var.region}:${local.account}:${local.fn}-failed-runs",
  ]
  # Event source mappings are named by a UUID Lambda gives them, so their grants name the account's mappings in
  # the Region; creating one is limited to this function by lambda:FunctionArn.
  mappings_arn    = "arn:${local.partition}:lambda:${var.region}:${local.account}:event-source-mapping:*"
  schedules_arn   = "arn:${local.partition}:scheduler:${var.region}:${local.account}:schedule/default/${local.fn}-*"
  bucket_arns     = sort([for name in values(var.bucket_names) : "arn:${local.partition}:s3:::${name}"])
  artifacts_arn   = "arn:${local.partition}:s3:::${var.bucket_names.artifacts}"
  config_arn      = "arn:${local.partition}:s3:::${var.bucket_names.config}"
  newsletters_arn = "arn:${local.partition}:s3:::${var.bucket_names.newsletters}"
  state_arn       = "arn:${local.partition}:s3:::${var.state_bucket}"
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 1 : 0

  url             = "https://${local.oidc_host}"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = var.oidc_thumbprints
  tags            = var.tags
}

#### Trust: this repository only, and for deploys only its protected environment ###################################

data "aws_iam_policy_document" "trust_deploy" {
  statement {
    sid     = "GitHubEnvironment"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:sub"
      values   = ["repo:${local.subject_repository}:environment:${var.github_environment}"]
    }
  }
}

data "aws_iam_policy_document" "trust_plan" {
  statement {
    sid     = "GitHubPullRequests"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:sub"
      values   = ["repo:${local.subject_repository}:pull_request"]
    }
  }
}

#### What plan needs: read the stack, read the state, hold the lock ###############################################

data "aws_iam_policy_document" "read_stack" {
  statement {
    sid       = "ReadState"
    actions   = ["s3:GetObject"]
    resources = ["${local.state_arn}/${var.state_key}"]
  }

  # The S3 backend lists the state key, and on init the workspace prefix (env:/) to find other workspaces.
  statement {
    sid       = "ListState"
    actions   = ["s3:ListBucket"]
    resources = [local.state_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.state_key}*", "env:/"]
    }
  }

  # S3 native locking: a conditional write of <key>.tflock, deleted on unlock.
  statement {
    sid       = "HoldStateLock"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.state_arn}/${var.state_key}.tflock"]
  }

  statement {
    sid = "ReadBuckets"
    actions = [
      "s3:GetAccelerateConfiguration", "s3:GetBucket*", "s3:GetEncryptionConfiguration",
      "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration", "s3:ListBucket",
    ]
    resources = local.bucket_arns
  }

  statement {
    sid       = "ReadPackages"
    actions   = ["s3:GetObject", "s3:GetObjectTagging"]
    resources = ["${local.artifacts_arn}/${local.fn}/*"]
  }

  statement {
    sid = "ReadFunction"
    actions = [
      "lambda:GetAlias", "lambda:GetFunction", "lambda:GetFunctionCodeSigningConfig", "lambda:GetFunctionConcurrency",
      "lambda:GetFunctionConfiguration", "lambda:GetFunctionEventInvokeConfig", "lambda:GetPolicy", "lambda:GetRuntimeManagementConfig",
      "lambda:ListAliases", "lambda:ListTags", "lambda:ListVersionsByFunction",
    ]
    resources = local.function_arns
  }

  statement {
    sid       = "ReadStackRoles"
    actions   = ["iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies"]
    resources = [local.stack_roles_arn]
  }

  # DescribeLogGroups takes no log group ARN: it is granted on the account's log groups, and lists names only.
  statement {
    sid       = "DescribeLogGroups"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["arn:${local.partition}:logs:${var.region}:${local.account}:log-group:*"]
  }

  statement {
    sid       = "ReadLogGroup"
    actions   = ["logs:ListTagsForResource", "logs:ListTagsLogGroup"]
    resources = [local.log_group_arn, "${local.log_group_arn}:*"]
  }

  # DescribeAlarms is a list call: like DescribeLogGroups it is granted on the account's alarms (names and
  # states only); the tags stay limited to the stack's alarms.
  statement {
    sid       = "DescribeAlarms"
    actions   = ["cloudwatch:DescribeAlarms"]
    resources = ["arn:${local.partition}:cloudwatch:${var.region}:${local.account}:alarm:*"]
  }

  statement {
    sid       = "ReadAlarms"
    actions   = ["cloudwatch:ListTagsForResource"]
    resources = [local.alarms_arn]
  }

  statement {
    sid       = "ReadTopic"
    actions   = ["sns:GetSubscriptionAttributes", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:ListTagsForResource"]
    resources = [local.topic_arn, "${local.topic_arn}:*"]
  }

  statement {
    sid       = "ReadQueue"
    actions   = ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListQueueTags"]
    resources = concat([local.queue_arn], local.run_queue_arns)
  }

  statement {
    sid       = "ReadEventSourceMappings"
    actions   = ["lambda:GetEventSourceMapping", "lambda:ListTags"]
    resources = [local.mappings_arn]
  }

  statement {
    sid       = "ListEventSourceMappings"
    actions   = ["lambda:ListEventSourceMappings"]
    resources = ["*"]
  }

  statement {
    sid       = "ReadSchedules"
    actions   = ["scheduler:GetSchedule", "scheduler:ListTagsForResource"]
    resources = [local.schedules_arn]
  }
}

#### What apply, deploy, smoke, rollback and status add ###########################################################

data "aws_iam_policy_document" "change_stack" {
  source_policy_documents = [data.aws_iam_policy_document.read_stack.json]

  statement {
    sid       = "WriteState"
    actions   = ["s3:PutObject"]
    resources = ["${local.state_arn}/${var.state_key}"]
  }

  statement {
    sid       = "ConfigureBuckets"
    actions   = ["s3:CreateBucket", "s3:PutBucket*", "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration"]
    resources = local.bucket_arns
  }

  # Terraform's first package, then every package `invoke deploy` uploads, and the smoke verdicts beside them.
  statement {
    sid       = "WritePackages"
    actions   = ["s3:PutObject", "s3:PutObjectTagging"]
    resources = ["${local.artifacts_arn}/${local.fn}/*"]
  }

  # The deploy lease (deleted when a deploy or rollback ends) and the marker of config files under test (deleted
  # once they passed or were put back): the only objects of the artifacts bucket the toolkit deletes.
  statement {
    sid       = "ReleaseDeployLease"
    actions   = ["s3:DeleteObject"]
    resources = ["${local.artifacts_arn}/${local.fn}/deploy.lease", "${local.artifacts_arn}/${local.fn}/config-pending.json"]
  }

  # Putting back the config files a failed smoke test rejected deletes the ones that release added.
  statement {
    sid       = "SyncConfig"
    actions   = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
    resources = ["${local.config_arn}/*"]
  }

  statement {
    sid       = "ReadEditions"
    actions   = ["s3:GetObject"]
    resources = ["${local.newsletters_arn}/newsletters/*"]
  }

  statement {
    sid = "ReleaseFunction"
    actions = [
      "lambda:CreateAlias", "lambda:CreateFunction", "lambda:DeleteFunctionConcurrency",
      "lambda:DeleteFunctionEventInvokeConfig", "lambda:InvokeFunction", "lambda:PublishVersion", "lambda:PutFunctionConcurrency",
      "lambda:PutFunctionEventInvokeConfig", "lambda:TagResource", "lambda:UntagResource", "lambda:UpdateAlias",
      "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:UpdateFunctionEventInvokeConfig",
    ]
    resources = local.function_arns
  }

  statement {
    sid = "ManageStackRoles"
    actions = [
      "iam:CreateRole", "iam:DeleteRole", "iam:DeleteRolePolicy", "iam:ListInstanceProfilesForRole", "iam:PutRolePolicy",
      "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:UpdateRoleDescription",
    ]
    resources = [local.stack_roles_arn]
  }

  statement {
    sid       = "PassExecutionRoleToLambda"
    actions   = ["iam:PassRole"]
    resources = [local.execution_role]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["lambda.amazonaws.com"]
    }
  }

  # A schedule's target names the role the scheduler invokes the alias with: creating it passes that role.
  statement {
    sid       = "PassScheduleRolesToScheduler"
    actions   = ["iam:PassRole"]
    resources = [local.schedule_roles]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["scheduler.amazonaws.com"]
    }
  }

  statement {
    sid       = "ManageLogGroup"
    actions   = ["logs:CreateLogGroup", "logs:FilterLogEvents", "logs:GetLogEvents", "logs:PutRetentionPolicy", "logs:TagLogGroup", "logs:TagResource", "logs:UntagResource"]
    resources = [local.log_group_arn, "${local.log_group_arn}:*"]
  }

  statement {
    sid       = "ManageAlarms"
    actions   = ["cloudwatch:DeleteAlarms", "cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:UntagResource"]
    resources = [local.alarms_arn]
  }

  statement {
    sid       = "ManageTopic"
    actions   = ["sns:CreateTopic", "sns:SetTopicAttributes", "sns:Subscribe", "sns:TagResource", "sns:Unsubscribe", "sns:UntagResource"]
    resources = [local.topic_arn, "${local.topic_arn}:*"]
  }

  # ReceiveMessage lets `invoke failures` and `invoke status` read the failure queues (with no visibility timeout,
  # so nothing is consumed); nothing may delete from them, and the run queue is read by Lambda alone.
  statement {
    sid       = "ManageQueues"
    actions   = ["sqs:CreateQueue", "sqs:SetQueueAttributes", "sqs:TagQueue", "sqs:UntagQueue"]
    resources = concat([local.queue_arn], local.run_queue_arns)
  }

  statement {
    sid       = "PeekFailedRuns"
    actions   = ["sqs:ReceiveMessage"]
    resources = [local.queue_arn, local.run_queue_arns[1]]
  }

  statement {
    sid       = "CreateRunQueueMapping"
    actions   = ["lambda:CreateEventSourceMapping"]
    resources = ["*"]

    condition {
      test     = "ArnLike"
      variable = "lambda:FunctionArn"
      values   = local.function_arns
    }
  }

  statement {
    sid       = "ManageRunQueueMapping"
    actions   = ["lambda:DeleteEventSourceMapping", "lambda:TagResource", "lambda:UntagResource", "lambda:UpdateEventSourceMapping"]
    resources = [local.mappings_arn]
  }

  statement {
    sid       = "ManageSchedules"
    actions   = ["scheduler:CreateSchedule", "scheduler:DeleteSchedule", "scheduler:TagResource", "scheduler:UpdateSchedule"]
    resources = [local.schedules_arn]
  }
}

resource "aws_iam_role" "deploy" {
  name                 = "${var.role_name_prefix}-deploy"
  description          = "Applies Terraform, deploys and rolls back ${local.fn} from ${var.github_repository} (${var.github_environment})"
  assume_role_policy   = data.aws_iam_policy_document.trust_deploy.json
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "deploy" {
  name   = "release-${local.fn}"
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.change_stack.json
}

resource "aws_iam_role" "plan" {
  name                 = "${var.role_name_prefix}-plan"
  description          = "Plans ${local.fn} (read only) for pull requests of ${var.github_repository}"
  assume_role_policy   = data.aws_iam_policy_document.trust_plan.json
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "plan" {
  name   = "plan-${local.fn}"
  role   = aws_iam_role.plan.id
  policy = data.aws_iam_policy_document.read_stack.json
}
