# A provided.al2023 Lambda function with its role, least-privilege policy, log group, alarms and,
# for functions invoked asynchronously, its retry settings and on-failure destination.

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  # Role names are global to the account while everything else here is regional: the region in
  # the name lets the same stack be applied in a second region.
  name                 = "${var.name}-${var.arn_context.region}"
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  tags                 = var.tags
}

resource "aws_cloudwatch_log_group" "this" {
  # checkov:skip=CKV_AWS_338:30 days by default (log_retention_days); a year of debug logs is a cost, not a control.
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  skip_destroy      = var.logs_skip_destroy
  tags              = var.tags
}

locals {
  # Kept as data (not only as a rendered document) so tests can check them at plan time.
  statements = concat(var.statements, [{
    sid     = "WriteOwnLogs"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    # Written out from the name, so a plan shows it.
    resources  = ["arn:${var.arn_context.partition}:logs:${var.arn_context.region}:${var.arn_context.account_id}:log-group:/aws/lambda/${var.name}:log-stream:*"]
    conditions = []
    }], var.kms_key_arn == null ? [] : [{
    # Queues, buckets and logs encrypted with the same key are read and written through it.
    sid        = "UseEncryptionKey"
    actions    = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources  = [var.kms_key_arn]
    conditions = []
    }], var.async == null ? [] : [{
    # Lambda sends the records of events it gave up on with the function's own role.
    sid        = "SendFailedEvents"
    actions    = ["sqs:SendMessage"]
    resources  = [var.async.on_failure_queue_arn]
    conditions = []
  }])
}

data "aws_iam_policy_document" "this" {
  dynamic "statement" {
    for_each = local.statements
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
      dynamic "condition" {
        for_each = statement.value.conditions
        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.name}-policy"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

resource "aws_lambda_function" "this" {
  # checkov:skip=CKV_AWS_116:Failed events are kept without a function DLQ: an SQS-fed function's messages go to the queue's DLQ by its redrive policy, and an asynchronously invoked one sends them to its on-failure destination (aws_lambda_function_event_invoke_config below), which carries more than a DLQ message.
  # checkov:skip=CKV_AWS_117:The function only talks to S3, SQS and CloudWatch over AWS endpoints; a VPC adds NAT cost and cold-start time.
  # checkov:skip=CKV_AWS_272:Code signing needs a signing profile outside this template; forks with a signing pipeline should add it.
  # checkov:skip=CKV_AWS_50:X-Ray tracing is left off by default: it costs per trace and needs a wildcard xray:PutTraceSegments grant.
  # checkov:skip=CKV_AWS_115:Reserved concurrency is a variable (reserved_concurrency); -1 leaves the account pool shared, which new accounts (limit 10) require.
  # checkov:skip=CKV_AWS_173:Environment variables hold no secrets (renditions, prefixes, limits); set kms_key_arn to encrypt them with your key.
  function_name                  = var.name
  role                           = aws_iam_role.this.arn
  runtime                        = "provided.al2023"
  handler                        = "bootstrap"
  architectures                  = [var.architecture]
  filename                       = var.zip_path
  source_code_hash               = filebase64sha256(var.zip_path)
  memory_size                    = var.memory_mb
  timeout                        = var.timeout_seconds
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn
  tags                           = var.tags

  environment {
    variables = var.environment
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.this.name
    application_log_level = "INFO"
    # INFO keeps Lambda's platform.report record (billed duration, max memory) per invocation:
    # `make loadtest TARGET=aws` reads its costs from them.
    system_log_level = "INFO"
  }

  depends_on = [aws_iam_role_policy.this]
}

resource "aws_lambda_function_recursion_config" "this" {
  count          = var.recursion_guard ? 1 : 0
  function_name  = aws_lambda_function.this.function_name
  recursive_loop = "Terminate"
}

# Asynchronous invocations (S3 -> the trigger): Lambda retries a failed event, keeps a throttled
# one up to the maximum age, then sends a record of it to the on-failure destination instead of
# dropping it.
resource "aws_lambda_function_event_invoke_config" "this" {
  count                        = var.async == null ? 0 : 1
  function_name                = aws_lambda_function.this.function_name
  maximum_event_age_in_seconds = var.async.maximum_event_age_seconds
  maximum_retry_attempts       = var.async.maximum_retry_attempts

  destination_config {
    on_failure {
      destination = var.async.on_failure_queue_arn
    }
  }

  depends_on = [aws_iam_role_policy.this]
}

locals {
  alarms = merge({
    errors = {
      description = "${var.name} returned errors or timed out: its logs say which messages and why."
      metric      = "Errors"
    }
    throttles = {
      description = "${var.name} was throttled: raise its concurrency or the account's (aws lambda get-account-settings)."
      metric      = "Throttles"
    }
    }, var.async == null ? {} : {
    async-events-dropped = {
      description = "Lambda dropped asynchronous events of ${var.name} that it could not deliver to the on-failure destination."
      metric      = "AsyncEventsDropped"
    }
  })
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each            = local.alarms
  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = "AWS/Lambda"
  metric_name         = each.value.metric
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}
