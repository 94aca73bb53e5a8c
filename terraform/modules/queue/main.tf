# The work queue, its dead-letter queue, who may send to it, and alarms on both.

resource "aws_sqs_queue" "dlq" {
  name                      = "${var.name}-dlq"
  message_retention_seconds = var.dlq_retention_seconds
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

resource "aws_sqs_queue" "this" {
  name                       = var.name
  visibility_timeout_seconds = var.visibility_timeout_seconds
  message_retention_seconds  = var.retention_seconds
  receive_wait_time_seconds  = 20
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
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
  queue_url = aws_sqs_queue.dlq.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.this.arn]
  })
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"]
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

locals {
  alarms = {
    dlq-not-empty = {
      description = "Messages reached the dead-letter queue: inspect them, fix the cause, then `make redrive`."
      metric      = "ApproximateNumberOfMessagesVisible"
      queue       = aws_sqs_queue.dlq.name
      periods     = 1
      threshold   = 0
    }
    backlog-age = {
      description = "The oldest message has waited over ${var.oldest_message_alarm_seconds} s: the processor is failing or under-provisioned."
      metric      = "ApproximateAgeOfOldestMessage"
      queue       = aws_sqs_queue.this.name
      periods     = 5
      threshold   = var.oldest_message_alarm_seconds
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each            = local.alarms
  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = "AWS/SQS"
  metric_name         = each.value.metric
  dimensions          = { QueueName = each.value.queue }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = each.value.periods
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}
