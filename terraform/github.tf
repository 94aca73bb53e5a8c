# GitHub Actions deploys without stored keys: the workflow exchanges its OIDC token for one of
# two roles. Pull requests get the plan role (read only); only the deploy branch gets the deploy
# role, whose write access is limited to this stack's names. Created only when
# `github_repository` is set; an account has one GitHub OIDC provider, so an existing one can be
# passed in.

locals {
  github              = var.github_repository != null
  github_oidc_host    = "token.actions.githubusercontent.com"
  github_provider_arn = local.github ? coalesce(var.github_oidc_provider_arn, try(aws_iam_openid_connect_provider.github[0].arn, null)) : null
  arn_prefix = {
    s3       = "arn:${data.aws_partition.current.partition}:s3:::"
    regional = "arn:${data.aws_partition.current.partition}:%s:${var.region}:${local.account_id}"
    iam      = "arn:${data.aws_partition.current.partition}:iam::${local.account_id}"
  }
  # Everything this stack names starts with var.name (buckets with the bucket name).
  stack_resources = {
    buckets   = ["${local.arn_prefix.s3}${local.bucket_name}", "${local.arn_prefix.s3}${local.bucket_name}-out"]
    objects   = ["${local.arn_prefix.s3}${local.bucket_name}/*", "${local.arn_prefix.s3}${local.bucket_name}-out/*"]
    queues    = ["${format(local.arn_prefix.regional, "sqs")}:${var.name}-*"]
    functions = ["${format(local.arn_prefix.regional, "lambda")}:function:${var.name}-*"]
    mappings  = ["${format(local.arn_prefix.regional, "lambda")}:event-source-mapping:*"]
    log_groups = [
      "${format(local.arn_prefix.regional, "logs")}:log-group:/aws/lambda/${var.name}-*",
      "${format(local.arn_prefix.regional, "logs")}:log-group:/aws/lambda/${var.name}-*:*",
    ]
    alarms     = ["${format(local.arn_prefix.regional, "cloudwatch")}:alarm:${var.name}-*"]
    dashboards = ["arn:${data.aws_partition.current.partition}:cloudwatch::${local.account_id}:dashboard/${var.name}"]
    topics     = ["${format(local.arn_prefix.regional, "sns")}:${var.name}-*"]
    roles      = ["${local.arn_prefix.iam}:role${var.role_path}${var.name}-*"]
    state = var.terraform_state_bucket == null ? [] : [
      "${local.arn_prefix.s3}${var.terraform_state_bucket}",
      "${local.arn_prefix.s3}${var.terraform_state_bucket}/*",
    ]
  }
}

resource "aws_iam_openid_connect_provider" "github" {
  count          = local.github && var.github_oidc_provider_arn == null ? 1 : 0
  url            = "https://${local.github_oidc_host}"
  client_id_list = ["sts.amazonaws.com"]
  tags           = var.tags
}

data "aws_iam_policy_document" "github_trust" {
  for_each = local.github ? {
    plan   = ["repo:${var.github_repository}:pull_request", "repo:${var.github_repository}:ref:refs/heads/${var.github_branch}"]
    deploy = ["repo:${var.github_repository}:ref:refs/heads/${var.github_branch}"]
  } : {}
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.github_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:sub"
      values   = each.value
    }
  }
}

resource "aws_iam_role" "github" {
  for_each             = data.aws_iam_policy_document.github_trust
  name                 = "${var.name}-${var.region}-github-${each.key}"
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  assume_role_policy   = each.value.json
  max_session_duration = 3600
  tags                 = var.tags
}

locals {
  # Reading the stack (terraform plan): scoped to the stack's names where AWS allows it.
  github_read_statements = [
    { sid = "ReadBuckets", actions = ["s3:GetBucket*", "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration", "s3:GetAccelerateConfiguration", "s3:GetReplicationConfiguration", "s3:ListBucket"], resources = local.stack_resources.buckets },
    { sid = "ReadQueues", actions = ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListQueueTags"], resources = local.stack_resources.queues },
    { sid = "ReadFunctions", actions = ["lambda:GetFunction", "lambda:GetFunctionConfiguration", "lambda:GetFunctionConcurrency", "lambda:GetFunctionEventInvokeConfig", "lambda:GetFunctionCodeSigningConfig", "lambda:GetFunctionRecursionConfig", "lambda:GetPolicy", "lambda:ListTags", "lambda:ListVersionsByFunction"], resources = local.stack_resources.functions },
    { sid = "ReadMappings", actions = ["lambda:GetEventSourceMapping"], resources = local.stack_resources.mappings },
    { sid = "ReadLogGroups", actions = ["logs:ListTagsForResource", "logs:ListTagsLogGroup"], resources = local.stack_resources.log_groups },
    # DescribeLogGroups is authorised on all log groups of the region, not on one.
    { sid = "ListLogGroups", actions = ["logs:DescribeLogGroups"], resources = ["${format(local.arn_prefix.regional, "logs")}:log-group:*"] },
    { sid = "ReadAlarms", actions = ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"], resources = local.stack_resources.alarms },
    { sid = "ReadDashboard", actions = ["cloudwatch:GetDashboard"], resources = local.stack_resources.dashboards },
    { sid = "ReadTopics", actions = ["sns:GetTopicAttributes", "sns:ListTagsForResource", "sns:GetSubscriptionAttributes", "sns:ListSubscriptionsByTopic"], resources = local.stack_resources.topics },
    { sid = "ReadRoles", actions = ["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies"], resources = local.stack_resources.roles },
    { sid = "ReadOidcProvider", actions = ["iam:GetOpenIDConnectProvider"], resources = ["${local.arn_prefix.iam}:oidc-provider/${local.github_oidc_host}"] },
    { sid = "ReadState", actions = ["s3:GetObject", "s3:ListBucket"], resources = local.stack_resources.state },
  ]
  # Changing the stack (terraform apply), on top of reading it.
  github_write_statements = [
    { sid = "ManageBuckets", actions = ["s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucket*", "s3:DeleteBucketPolicy", "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration"], resources = local.stack_resources.buckets },
    { sid = "ManageQueues", actions = ["sqs:CreateQueue", "sqs:DeleteQueue", "sqs:SetQueueAttributes", "sqs:TagQueue", "sqs:UntagQueue"], resources = local.stack_resources.queues },
    { sid = "ManageFunctions", actions = ["lambda:CreateFunction", "lambda:DeleteFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency", "lambda:PutFunctionEventInvokeConfig", "lambda:UpdateFunctionEventInvokeConfig", "lambda:DeleteFunctionEventInvokeConfig", "lambda:PutFunctionRecursionConfig", "lambda:AddPermission", "lambda:RemovePermission", "lambda:TagResource", "lambda:UntagResource"], resources = local.stack_resources.functions },
    { sid = "ManageMappings", actions = ["lambda:CreateEventSourceMapping", "lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping"], resources = concat(local.stack_resources.mappings, local.stack_resources.functions) },
    { sid = "ManageLogGroups", actions = ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:TagResource", "logs:UntagResource", "logs:TagLogGroup", "logs:AssociateKmsKey"], resources = local.stack_resources.log_groups },
    { sid = "ManageAlarms", actions = ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource", "cloudwatch:UntagResource"], resources = local.stack_resources.alarms },
    { sid = "ManageDashboard", actions = ["cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards"], resources = local.stack_resources.dashboards },
    { sid = "ManageTopics", actions = ["sns:CreateTopic", "sns:DeleteTopic", "sns:SetTopicAttributes", "sns:Subscribe", "sns:Unsubscribe", "sns:TagResource"], resources = local.stack_resources.topics },
    # Only the functions' roles: inline policies, no managed ones, and passed to Lambda only.
    { sid = "ManageFunctionRoles", actions = ["iam:CreateRole", "iam:DeleteRole", "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:ListInstanceProfilesForRole"], resources = local.stack_resources.roles },
    { sid = "PassFunctionRoles", actions = ["iam:PassRole"], resources = local.stack_resources.roles, conditions = [{ test = "StringEquals", variable = "iam:PassedToService", values = ["lambda.amazonaws.com"] }] },
    { sid = "WriteState", actions = ["s3:PutObject", "s3:DeleteObject"], resources = local.stack_resources.state },
  ]
  github_statements = {
    plan   = local.github_read_statements
    deploy = concat(local.github_read_statements, local.github_write_statements)
  }
}

data "aws_iam_policy_document" "github" {
  for_each = { for role, statements in local.github_statements : role => statements if local.github }
  dynamic "statement" {
    for_each = [for s in each.value : s if length(s.resources) > 0]
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
      dynamic "condition" {
        for_each = try(statement.value.conditions, [])
        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_role_policy" "github" {
  for_each = data.aws_iam_policy_document.github
  name     = "${var.name}-github-${each.key}"
  role     = aws_iam_role.github[each.key].id
  policy   = each.value.json
}
