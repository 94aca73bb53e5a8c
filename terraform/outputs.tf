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

output "trigger_failures_url" {
  description = "Trigger mode: the queue of uploads whose event the trigger could not enqueue after Lambda's retries (`make redrive` turns them back into jobs); null in direct mode."
  value       = local.trigger_mode ? module.trigger_failures[0].url : null
}

output "trigger_failures_arn" {
  description = "Trigger mode: ARN of the trigger's failure queue; null in direct mode."
  value       = local.trigger_mode ? module.trigger_failures[0].arn : null
}

output "processor_timeout_seconds" {
  description = "Processor timeout: how long an invocation already started can still write."
  value       = var.processor_timeout_seconds
}

output "alarm_actions" {
  description = "What every alarm notifies."
  value       = local.alarm_actions
}

output "alarm_names" {
  description = "Every alarm of the stack."
  value = concat(
    module.queue.alarm_names,
    module.processor.alarm_names,
    local.trigger_mode ? concat(module.trigger[0].alarm_names, [module.trigger_failures[0].alarm_name]) : [],
  )
}

output "dashboard_name" {
  description = "The CloudWatch dashboard (null when create_dashboard is false)."
  value       = var.create_dashboard ? aws_cloudwatch_dashboard.pipeline[0].dashboard_name : null
}

output "role_names" {
  description = "The functions' execution roles."
  value       = concat([module.processor.role_name], local.trigger_mode ? [module.trigger[0].role_name] : [])
}

output "github_role_arns" {
  description = "The roles .github/workflows/deploy.yml assumes: `plan` for pull requests, `deploy` for the deploy branch (empty unless github_repository is set)."
  value       = { for key, role in aws_iam_role.github : key => role.arn }
}

output "max_bytes" {
  description = "Uploads larger than this are refused unread (the trigger's and processor's MAX_BYTES)."
  value       = var.max_bytes
}

output "iam_statements" {
  description = "Every function's IAM statements (sid, actions, resources), for review and for the CDK parity test."
  value = merge(
    { processor = module.processor.statements },
    local.trigger_mode ? { trigger = module.trigger[0].statements } : {},
  )
}

output "environment_names" {
  description = "Every function's environment variable names, known at plan time (the CDK parity test compares them)."
  value = merge(
    { (module.processor.name) = module.processor.environment_names },
    local.trigger_mode ? { (module.trigger[0].name) = module.trigger[0].environment_names } : {},
  )
}

output "cdn_domain_name" {
  description = "With cdn_enabled: the CloudFront domain serving https://<domain>/<upload key stem>/<rendition name> (null otherwise)."
  value       = one(module.cdn[*].domain_name)
}
