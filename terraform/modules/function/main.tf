# A provided.al2023 Lambda function with its role, least-privilege policy and log group.

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
  name               = "${var.name}-role"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

resource "aws_cloudwatch_log_group" "this" {
  # checkov:skip=CKV_AWS_338:30 days by default (log_retention_days); a year of debug logs is a cost, not a control.
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

locals {
  # Kept as data (not only as a rendered document) so tests can check them at plan time.
  statements = concat(var.statements, [{
    sid        = "WriteOwnLogs"
    actions    = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources  = ["${aws_cloudwatch_log_group.this.arn}:log-stream:*"]
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
  # checkov:skip=CKV_AWS_116:The event source is SQS, whose redrive policy is the dead-letter queue; a function DLQ applies to async invokes only.
  # checkov:skip=CKV_AWS_117:The function only talks to S3, SQS and CloudWatch over AWS endpoints; a VPC adds NAT cost and cold-start time.
  # checkov:skip=CKV_AWS_272:Code signing needs a signing profile outside this template; forks with a signing pipeline should add it.
  # checkov:skip=CKV_AWS_50:X-Ray tracing is left off by default: it costs per trace and needs a wildcard xray:PutTraceSegments grant.
  # checkov:skip=CKV_AWS_115:Reserved concurrency is a variable (reserved_concurrency); -1 leaves the account pool shared.
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
