# Trigger mode: S3 invokes the trigger asynchronously; it validates each upload and enqueues a
# job. Lambda retries a failed invocation and keeps a throttled one up to its maximum age; what
# it gives up on goes to the trigger's failure queue, where an alarm fires and `make redrive`
# turns the records back into jobs. Nothing is dropped silently.

module "trigger_failures" {
  count             = local.trigger_mode ? 1 : 0
  source            = "./modules/holding-queue"
  name              = "${var.name}-trigger-failures"
  alarm_description = "Uploads whose S3 event the trigger could not turn into a job after Lambda's retries: fix the cause, then `make redrive` enqueues them."
  alarm_actions     = local.alarm_actions
  kms_key_arn       = var.kms_key_arn
  tags              = var.tags
}

module "trigger" {
  count = local.trigger_mode ? 1 : 0
  # The failure queue must exist before Lambda is told to send to it.
  depends_on      = [module.trigger_failures]
  source          = "./modules/function"
  name            = "${var.name}-trigger"
  zip_path        = var.trigger_zip
  memory_mb       = 128
  timeout_seconds = 30
  statements = [{
    sid       = "EnqueueJobs"
    actions   = ["sqs:SendMessage"]
    resources = [local.arns.jobs]
  }]
  async = {
    maximum_event_age_seconds = var.trigger_maximum_event_age_seconds
    maximum_retry_attempts    = var.trigger_maximum_retry_attempts
    on_failure_queue_arn      = local.arns.trigger_failures
  }
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
