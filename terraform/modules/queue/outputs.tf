output "url" {
  description = "Queue URL."
  value       = aws_sqs_queue.this.id
}

output "arn" {
  description = "Queue ARN."
  value       = aws_sqs_queue.this.arn
}

output "dlq_url" {
  description = "Dead-letter queue URL."
  value       = module.dlq.url
}

output "dlq_arn" {
  description = "Dead-letter queue ARN."
  value       = module.dlq.arn
}

output "policy_json" {
  description = "The queue policy document."
  value       = data.aws_iam_policy_document.this.json
}

output "dlq_name" {
  description = "Dead-letter queue name."
  value       = module.dlq.name
}

output "name" {
  description = "Queue name."
  value       = aws_sqs_queue.this.name
}

output "alarm_names" {
  description = "Names of the queue's alarms (backlog age, DLQ not empty)."
  value       = [aws_cloudwatch_metric_alarm.backlog_age.alarm_name, module.dlq.alarm_name]
}

output "kms_key" {
  description = "The KMS key encrypting the work queue; null with SQS-managed encryption."
  value       = aws_sqs_queue.this.kms_master_key_id
}

output "backlog_alarm_actions" {
  description = "What the backlog-age alarm notifies."
  value       = aws_cloudwatch_metric_alarm.backlog_age.alarm_actions
}

output "dlq_alarm_actions" {
  description = "What the DLQ alarm notifies."
  value       = module.dlq.alarm_actions
}

output "tls_policy_actions" {
  description = "The actions the queue policy denies over plain HTTP."
  value       = data.aws_iam_policy_document.this.statement[0].actions
}
