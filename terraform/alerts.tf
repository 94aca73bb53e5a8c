# Where alarms go, and the dashboard a person opens when one fires.

resource "aws_sns_topic" "alarms" {
  count = var.create_alarm_topic ? 1 : 0
  name  = "${var.name}-alarms"
  # AWS's own key for SNS; set kms_key_arn to use yours (its key policy must let CloudWatch use it).
  kms_master_key_id = coalesce(var.kms_key_arn, "alias/aws/sns")
  tags              = var.tags
}

data "aws_iam_policy_document" "alarm_topic" {
  count = var.create_alarm_topic ? 1 : 0
  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms[0].arn]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sns:*"]
    resources = [aws_sns_topic.alarms[0].arn]
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
}

resource "aws_sns_topic_policy" "alarms" {
  count  = var.create_alarm_topic ? 1 : 0
  arn    = aws_sns_topic.alarms[0].arn
  policy = data.aws_iam_policy_document.alarm_topic[0].json
}

resource "aws_sns_topic_subscription" "alarm_emails" {
  for_each  = var.create_alarm_topic ? toset(var.alarm_emails) : toset([])
  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "email"
  endpoint  = each.value
}

locals {
  # Every alarm of the stack notifies these: the topic made here or the one passed in, plus any
  # other ARNs given.
  alarm_actions = distinct(concat(
    var.create_alarm_topic ? [aws_sns_topic.alarms[0].arn] : [],
    var.alarm_topic_arn == null ? [] : [var.alarm_topic_arn],
    var.alarm_actions,
  ))
  outcomes = ["done", "rejected", "failed", "ignored"]
  dashboard = {
    widgets = [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title   = "Images per minute, by outcome"
          region  = var.region
          stat    = "Sum"
          period  = 60
          view    = "timeSeries"
          stacked = true
          metrics = [for outcome in local.outcomes : [var.metrics_namespace, "Images", "Outcome", outcome]]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title   = "Outcomes over the dashboard's time range"
          region  = var.region
          stat    = "Sum"
          period  = 86400
          view    = "singleValue"
          metrics = [for outcome in local.outcomes : [var.metrics_namespace, "Images", "Outcome", outcome]]
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title  = "Time per image (TotalMs), p50 and p99"
          region = var.region
          period = 60
          view   = "timeSeries"
          metrics = [
            [var.metrics_namespace, "TotalMs", "Outcome", "done", { stat = "p50", label = "p50" }],
            [var.metrics_namespace, "TotalMs", "Outcome", "done", { stat = "p99", label = "p99" }],
          ]
          yAxis = { left = { label = "ms", showUnits = false } }
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title  = "Dead-letter queue: depth and age of the oldest message"
          region = var.region
          stat   = "Maximum"
          period = 60
          view   = "timeSeries"
          metrics = [
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", module.queue.dlq_name, { label = "messages" }],
            ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", module.queue.dlq_name, { label = "oldest (s)", yAxis = "right" }],
          ]
        }
      },
      {
        type = "metric", x = 0, y = 12, width = 24, height = 6
        properties = {
          title  = "Work queue and processor"
          region = var.region
          stat   = "Maximum"
          period = 60
          view   = "timeSeries"
          metrics = [
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", module.queue.name, { label = "queued" }],
            ["AWS/Lambda", "ConcurrentExecutions", "FunctionName", module.processor.name, { label = "processor instances" }],
            ["AWS/Lambda", "Errors", "FunctionName", module.processor.name, { stat = "Sum", label = "processor errors" }],
            ["AWS/Lambda", "Throttles", "FunctionName", module.processor.name, { stat = "Sum", label = "processor throttles" }],
          ]
        }
      },
    ]
  }
}

resource "aws_cloudwatch_dashboard" "pipeline" {
  count          = var.create_dashboard ? 1 : 0
  dashboard_name = var.name
  dashboard_body = jsonencode(local.dashboard)
}
