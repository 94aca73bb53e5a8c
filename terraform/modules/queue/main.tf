# The work queue, its dead-letter queue, who may send to it, and alarms on both.

module "dlq" {
  source            = "../holding-queue"
  name              = "${var.name}-dlq"
  retention_seconds = var.dlq_retention_seconds
  alarm_description = "Messages reached the dead-letter queue: inspect them, fix the cause, then `make redrive`."
  alarm_actions     = var.alarm_actions
  kms_key_arn       = var.kms_key_arn
  tls_only          = var.tls_only
  tags              = var.tags
}

# The dead-letter queue and its alarm were resources of this module before the holding-queue
# module existed; these keep a deployed DLQ (and its messages) in place.
moved {
  from = aws_sqs_queue.dlq
  to   = module.dlq.aws_sqs_queue.this
}

moved {
  from = aws_cloudwatch_metric_alarm.this["dlq-not-empty"]
  to   = module.dlq.aws_cloudwatch_metric_alarm.not_empty
}

resource "aws_sqs_queue" "this" {
  name                              = var.name
  visibility_timeout_seconds        = var.visibility_timeout_seconds
  message_retention_seconds         = var.retention_seconds
  receive_wait_time_seconds         = 20
  sqs_managed_sse_enabled           = var.kms_key_arn == null ? true : null
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_key_arn == null ? null : 3600
  redrive_policy = jsonencode({
    deadLetterTargetArn = module.dlq.arn
    maxReceiveCount     = var.max_receive_count
  })
  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.dlq_retention_seconds > var.retention_seconds
      error_message = "The DLQ must keep messages longer than the queue (dlq_retention_seconds > retention_seconds), or a message can expire on arrival."
    }
  }
}

resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  count     = var.redrive_allow_policy ? 1 : 0
  queue_url = module.dlq.url
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.this.arn]
  })
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.this.arn]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  dynamic "statement" {
    for_each = var.allowed_source_bucket_arn == null ? [] : [var.allowed_source_bucket_arn]
    content {
      sid       = "AllowBucketNotifications"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.this.arn]
      principals {
        type        = "Service"
        identifiers = ["s3.amazonaws.com"]
      }
      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = [statement.value]
      }
      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [var.account_id]
      }
    }
  }
}

resource "aws_sqs_queue_policy" "this" {
  queue_url = aws_sqs_queue.this.id
  policy    = data.aws_iam_policy_document.this.json
}

resource "aws_cloudwatch_metric_alarm" "backlog_age" {
  alarm_name          = "${var.name}-backlog-age"
  alarm_description   = "The oldest message has waited over ${var.oldest_message_alarm_seconds} s: the processor is failing or under-provisioned."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = aws_sqs_queue.this.name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  threshold           = var.oldest_message_alarm_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}

moved {
  from = aws_cloudwatch_metric_alarm.this["backlog-age"]
  to   = aws_cloudwatch_metric_alarm.backlog_age
}
