output "url" {
  description = "Queue URL."
  value       = aws_sqs_queue.this.id
}

output "arn" {
  description = "Queue ARN."
  value       = aws_sqs_queue.this.arn
}

output "name" {
  description = "Queue name."
  value       = aws_sqs_queue.this.name
}

output "alarm_name" {
  description = "Name of the not-empty alarm."
  value       = aws_cloudwatch_metric_alarm.not_empty.alarm_name
}

output "kms_key" {
  description = "The KMS key encrypting the queue; null with SQS-managed encryption."
  value       = aws_sqs_queue.this.kms_master_key_id
}

output "sse_managed" {
  description = "Whether the queue uses SQS-managed encryption (SSE-SQS)."
  value       = aws_sqs_queue.this.sqs_managed_sse_enabled == true
}

output "alarm_actions" {
  description = "What the not-empty alarm notifies."
  value       = aws_cloudwatch_metric_alarm.not_empty.alarm_actions
}
