# The pipeline: bucket(s) -> queue (+ DLQ) -> processor, optionally with the trigger in between
# (trigger.tf); alarms reach a person through alerts.tf; CI deploys through github.tf.

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
  # The ARNs the functions' policies name, written out from the names (S3, SQS and CloudWatch
  # Logs ARNs follow from them), so a plan shows each policy in full before anything exists.
  partition = data.aws_partition.current.partition
  arns = {
    bucket           = "arn:${local.partition}:s3:::${local.bucket_name}"
    output_bucket    = "arn:${local.partition}:s3:::${var.separate_output_bucket ? "${local.bucket_name}-out" : local.bucket_name}"
    jobs             = "arn:${local.partition}:sqs:${var.region}:${local.account_id}:${var.name}-jobs"
    trigger_failures = "arn:${local.partition}:sqs:${var.region}:${local.account_id}:${var.name}-trigger-failures"
  }
  # What every function shares.
  function_settings = {
    arn_context = {
      partition  = local.partition
      region     = data.aws_region.current.name
      account_id = local.account_id
    }
    architecture              = var.architecture
    log_retention_days        = var.log_retention_days
    logs_skip_destroy         = var.cloudwatch_logs_skip_destroy
    kms_key_arn               = var.kms_key_arn
    role_path                 = var.role_path
    role_permissions_boundary = var.role_permissions_boundary
  }
}

module "bucket" {
  source            = "./modules/bucket"
  name              = local.bucket_name
  force_destroy     = var.force_destroy
  expiring_prefixes = var.separate_output_bucket ? {} : { (var.rejected_prefix) = var.rejected_retention_days }
  kms_key_arn       = var.kms_key_arn
  tls_only          = !local.emulated
  policy_documents  = var.separate_output_bucket ? [] : local.cdn_bucket_policies
  tags              = var.tags
}

module "output_bucket" {
  count             = var.separate_output_bucket ? 1 : 0
  source            = "./modules/bucket"
  name              = "${local.bucket_name}-out"
  force_destroy     = var.force_destroy
  expiring_prefixes = { (var.rejected_prefix) = var.rejected_retention_days }
  kms_key_arn       = var.kms_key_arn
  tls_only          = !local.emulated
  policy_documents  = local.cdn_bucket_policies
  tags              = var.tags
}

# Delivery (optional): CloudFront over the renditions. Its inputs name the output bucket's
# attributes one by one: the bucket's policy takes the distribution's statement, so a reference
# to the whole bucket module would make a cycle.
module "cdn" {
  count                       = var.cdn_enabled ? 1 : 0
  source                      = "./modules/cdn"
  name                        = var.name
  bucket_name                 = var.separate_output_bucket ? "${local.bucket_name}-out" : local.bucket_name
  bucket_arn                  = local.arns.output_bucket
  bucket_regional_domain_name = var.separate_output_bucket ? module.output_bucket[0].regional_domain_name : module.bucket.regional_domain_name
  output_prefix               = var.output_prefix
  renditions                  = var.renditions
  price_class                 = var.cdn_price_class
  tags                        = var.tags
}

locals {
  cdn_bucket_policies = [for cdn in module.cdn : cdn.bucket_policy_json]
}

module "queue" {
  source                     = "./modules/queue"
  name                       = "${var.name}-jobs"
  visibility_timeout_seconds = local.visibility_timeout
  max_receive_count          = var.max_receive_count
  allowed_source_bucket_arn  = local.trigger_mode ? null : module.bucket.arn
  account_id                 = local.account_id
  redrive_allow_policy       = !local.emulated
  kms_key_arn                = var.kms_key_arn
  alarm_actions              = local.alarm_actions
  tags                       = var.tags
}

# The processor may read only uploads and write only renditions and rejection records.
locals {
  processor_statements = [
    {
      sid        = "ReadUploads"
      actions    = ["s3:GetObject"]
      resources  = ["${local.arns.bucket}/${var.input_prefix}*"]
      conditions = []
    },
    {
      # S3 may answer a read of a missing upload with 403 instead of 404; the processor then
      # lists the key to tell a deleted upload (rejected) from a denied read (retried).
      sid       = "ListUploads"
      actions   = ["s3:ListBucket"]
      resources = [local.arns.bucket]
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
        "${local.arns.output_bucket}/${var.output_prefix}*",
        "${local.arns.output_bucket}/${var.rejected_prefix}*",
      ]
      conditions = []
    },
    {
      sid        = "ConsumeJobs"
      actions    = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]
      resources  = [local.arns.jobs]
      conditions = []
    },
  ]
}

module "processor" {
  source                    = "./modules/function"
  name                      = "${var.name}-processor"
  zip_path                  = var.processor_zip
  memory_mb                 = var.processor_memory_mb
  timeout_seconds           = var.processor_timeout_seconds
  reserved_concurrency      = var.processor_reserved_concurrency
  statements                = local.processor_statements
  arn_context               = local.function_settings.arn_context
  architecture              = local.function_settings.architecture
  log_retention_days        = local.function_settings.log_retention_days
  logs_skip_destroy         = local.function_settings.logs_skip_destroy
  kms_key_arn               = local.function_settings.kms_key_arn
  role_path                 = local.function_settings.role_path
  role_permissions_boundary = local.function_settings.role_permissions_boundary
  alarm_actions             = local.alarm_actions
  recursion_guard           = !local.emulated
  tags                      = var.tags
  environment = merge({
    RENDITIONS        = var.renditions
    WEBP_METHOD       = tostring(var.webp_method)
    AVIF_SPEED        = tostring(var.avif_speed)
    OUTPUT_BUCKET     = local.output_bucket.id
    INPUT_PREFIX      = var.input_prefix
    OUTPUT_PREFIX     = var.output_prefix
    REJECTED_PREFIX   = var.rejected_prefix
    MAX_PIXELS        = tostring(var.max_pixels)
    MAX_BYTES         = tostring(var.max_bytes)
    ON_REJECT         = var.on_reject
    METRICS_NAMESPACE = var.metrics_namespace
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

# S3 checks the destination when the notification is set, and the AWS provider does not retry
# "Unable to validate the following destination configurations" while a fresh queue policy or
# invoke permission is still propagating. This pause runs only when either was (re)created.
resource "terraform_data" "destination_propagation" {
  count = local.emulated ? 0 : 1
  triggers_replace = [
    module.queue.policy_json,
    try(aws_lambda_permission.s3_invokes_trigger[0].id, ""),
  ]
  provisioner "local-exec" {
    command = "sleep ${var.notification_propagation_seconds}"
  }
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

  depends_on = [module.queue, aws_lambda_permission.s3_invokes_trigger, terraform_data.destination_propagation]
}
