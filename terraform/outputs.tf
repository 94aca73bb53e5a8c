output "region" {
  description = "Region of the deployment."
  value       = data.aws_region.current.name
}

output "bucket" {
  description = "Upload bucket."
  value       = module.bucket.id
}

output "output_bucket" {
  description = "Bucket receiving renditions and rejection records."
  value       = local.output_bucket.id
}

output "input_prefix" {
  description = "Uploads go under this prefix."
  value       = var.input_prefix
}

output "output_prefix" {
  description = "Renditions appear under this prefix."
  value       = var.output_prefix
}

output "rejected_prefix" {
  description = "Rejection records appear under this prefix."
  value       = var.rejected_prefix
}

output "queue_url" {
  description = "Work queue URL."
  value       = module.queue.url
}

output "queue_arn" {
  description = "Work queue ARN."
  value       = module.queue.arn
}

output "dlq_url" {
  description = "Dead-letter queue URL (`make redrive` moves its messages back)."
  value       = module.queue.dlq_url
}

output "dlq_arn" {
  description = "Dead-letter queue ARN."
  value       = module.queue.dlq_arn
}

output "processor_function_name" {
  description = "Processor function name."
  value       = module.processor.name
}

output "trigger_function_name" {
  description = "Trigger function name (null in direct mode)."
  value       = local.trigger_mode ? module.trigger[0].name : null
}

output "notification_mode" {
  description = "How uploads reach the queue."
  value       = var.notification_mode
}

output "event_source_mapping_uuid" {
  description = "The SQS -> processor mapping."
  value       = aws_lambda_event_source_mapping.processor.uuid
}

output "processor_memory_mb" {
  description = "Processor memory, for cost projections."
  value       = var.processor_memory_mb
}

output "architecture" {
  description = "Lambda architecture, for cost projections."
  value       = var.architecture
}

output "processor_policy_json" {
  description = "Every permission of the processor, for review."
  value       = module.processor.policy_json
}
