# The pipeline: bucket(s) -> queue (+ DLQ) -> processor, optionally with the trigger in between.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id    = data.aws_caller_identity.current.account_id
  bucket_name   = coalesce(var.bucket_name, "${var.name}-${local.account_id}-${var.region}")
  output_bucket = var.separate_output_bucket ? module.output_bucket[0] : module.bucket
  trigger_mode  = var.notification_mode == "trigger"
  visibility_timeout = coalesce(
    var.queue_visibility_timeout_seconds,
    6 * var.processor_timeout_seconds + var.batching_window_seconds,
  )
  # The emulator lacks a few APIs; everything else is the same on AWS and locally.
  local_environment = local.emulated ? {
    AWS_ENDPOINT_URL    = var.local_endpoint
    S3_FORCE_PATH_STYLE = "true"
  } : {}
}

module "bucket" {
  source            = "./modules/bucket"
  name              = local.bucket_name
  force_destroy     = var.force_destroy
  expiring_prefixes = var.separate_output_bucket ? {} : { (var.rejected_prefix) = var.rejected_retention_days }
  tls_only          = !local.emulated
  tags              = var.tags
}

module "output_bucket" {
  count             = var.separate_output_bucket ? 1 : 0
  source            = "./modules/bucket"
  name              = "${local.bucket_name}-out"
  force_destroy     = var.force_destroy
  expiring_prefixes = { (var.rejected_prefix) = var.rejected_retention_days }
  tls_only          = !local.emulated
  tags              = var.tags
}

module "queue" {
  source                     = "./modules/queue"
  name                       = "${var.name}-jobs"
  visibility_timeout_seconds = local.visibility_timeout
  max_receive_count          = var.max_receive_count
  allowed_source_bucket_arn  = local.trigger_mode ? null : module.bucket.arn
  account_id                 = local.account_id
  redrive_allow_policy       = !local.emulated
  alarm_actions              = var.alarm_actions
  tags                       = var.tags
}

# The processor may read only uploads and write only renditions and rejection records.
locals {
  processor_statements = [
    {
      sid        = "ReadUploads"
      actions    = ["s3:GetObject"]
      resources  = ["${module.bucket.arn}/${var.input_prefix}*"]
      conditions = []
    },
    {
      # Without ListBucket, S3 answers 403 instead of 404 for a missing key, which would look
      # transient and send the message to the DLQ instead of recording the rejection.
      sid       = "TellMissingUploads"
      actions   = ["s3:ListBucket"]
      resources = [module.bucket.arn]
      conditions = [{
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["${var.input_prefix}*"]
      }]
    },
    {
      sid     = "WriteRenditionsAndRejections"
      actions = ["s3:PutObject"]
      resources = [
        "${local.output_bucket.arn}/${var.output_prefix}*",
        "${local.output_bucket.arn}/${var.rejected_prefix}*",
      ]
      conditions = []
    },
    {
      sid        = "ConsumeJobs"
      actions    = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]
      resources  = [module.queue.arn]
      conditions = []
    },
  ]
}

module "processor" {
  source               = "./modules/function"
  name                 = "${var.name}-processor"
  zip_path             = var.processor_zip
  architecture         = var.architecture
  memory_mb            = var.processor_memory_mb
  timeout_seconds      = var.processor_timeout_seconds
  reserved_concurrency = var.processor_reserved_concurrency
  statements           = local.processor_statements
  log_retention_days   = var.log_retention_days
  recursion_guard      = !local.emulated
  tags                 = var.tags
  environment = merge({
    RENDITIONS      = var.renditions
    OUTPUT_BUCKET   = local.output_bucket.id
    INPUT_PREFIX    = var.input_prefix
    OUTPUT_PREFIX   = var.output_prefix
    REJECTED_PREFIX = var.rejected_prefix
    MAX_PIXELS      = tostring(var.max_pixels)
    MAX_BYTES       = tostring(var.max_bytes)
    ON_REJECT       = var.on_reject
  }, local.local_environment)
}

resource "aws_lambda_event_source_mapping" "processor" {
  event_source_arn                   = module.queue.arn
  function_name                      = module.processor.arn
  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.batching_window_seconds
  function_response_types            = ["ReportBatchItemFailures"]
  # The emulator cannot invoke functions; the local Lambda service polls the queue instead.
  enabled = !local.emulated

  scaling_config {
    maximum_concurrency = var.maximum_concurrency
  }
}

module "trigger" {
  count           = local.trigger_mode ? 1 : 0
  source          = "./modules/function"
  name            = "${var.name}-trigger"
  zip_path        = var.trigger_zip
  architecture    = var.architecture
  memory_mb       = 128
  timeout_seconds = 30
  statements = [{
    sid       = "EnqueueJobs"
    actions   = ["sqs:SendMessage"]
    resources = [module.queue.arn]
  }]
  log_retention_days = var.log_retention_days
  recursion_guard    = !local.emulated
  tags               = var.tags
  environment = merge({
    QUEUE_URL       = module.queue.url
    INPUT_PREFIX    = var.input_prefix
    OUTPUT_PREFIX   = var.output_prefix
    REJECTED_PREFIX = var.rejected_prefix
    MAX_BYTES       = tostring(var.max_bytes)
  }, local.local_environment)
}

resource "aws_lambda_permission" "s3_invokes_trigger" {
  count          = local.trigger_mode ? 1 : 0
  statement_id   = "AllowS3Invoke"
  action         = "lambda:InvokeFunction"
  function_name  = module.trigger[0].name
  principal      = "s3.amazonaws.com"
  source_arn     = module.bucket.arn
  source_account = local.account_id
}

resource "aws_s3_bucket_notification" "uploads" {
  bucket = module.bucket.id

  dynamic "queue" {
    for_each = local.trigger_mode ? [] : [module.queue.arn]
    content {
      queue_arn     = queue.value
      events        = ["s3:ObjectCreated:*"]
      filter_prefix = var.input_prefix
    }
  }

  dynamic "lambda_function" {
    for_each = local.trigger_mode ? [module.trigger[0].arn] : []
    content {
      lambda_function_arn = lambda_function.value
      events              = ["s3:ObjectCreated:*"]
      filter_prefix       = var.input_prefix
    }
  }

  # S3 tests the destination when the notification is set: the queue policy or the invoke
  # permission must exist first.
  depends_on = [module.queue, aws_lambda_permission.s3_invokes_trigger]
}
