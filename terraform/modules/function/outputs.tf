output "name" {
  description = "Function name."
  value       = aws_lambda_function.this.function_name
}

output "arn" {
  description = "Function ARN."
  value       = aws_lambda_function.this.arn
}

output "role_arn" {
  description = "Execution role ARN."
  value       = aws_iam_role.this.arn
}

output "log_group" {
  description = "CloudWatch log group name."
  value       = aws_cloudwatch_log_group.this.name
}

output "policy_json" {
  description = "The complete permissions of the function (its statements plus logging)."
  value       = data.aws_iam_policy_document.this.json
}

output "statements" {
  description = "The statements behind policy_json, known at plan time."
  value       = local.statements
}

output "role_name" {
  description = "Execution role name (it carries the region: role names are global)."
  value       = aws_iam_role.this.name
}

output "alarm_names" {
  description = "Names of the function's alarms."
  value       = [for alarm in aws_cloudwatch_metric_alarm.this : alarm.alarm_name]
}

output "reserved_concurrency" {
  description = "Executions reserved for the function (-1: none)."
  value       = aws_lambda_function.this.reserved_concurrent_executions
}

output "role_settings" {
  description = "The execution role's path and permissions boundary."
  value = {
    path                 = aws_iam_role.this.path
    permissions_boundary = aws_iam_role.this.permissions_boundary
  }
}

output "log_group_settings" {
  description = "The log group's encryption key, retention and whether it survives a destroy."
  value = {
    kms_key_id        = aws_cloudwatch_log_group.this.kms_key_id
    retention_in_days = aws_cloudwatch_log_group.this.retention_in_days
    skip_destroy      = aws_cloudwatch_log_group.this.skip_destroy
  }
}

output "event_invoke_config" {
  description = "The asynchronous invocation settings (retries, event age, on-failure destination); null for functions fed by a mapping."
  value = var.async == null ? null : {
    maximum_event_age_in_seconds = aws_lambda_function_event_invoke_config.this[0].maximum_event_age_in_seconds
    maximum_retry_attempts       = aws_lambda_function_event_invoke_config.this[0].maximum_retry_attempts
    on_failure_destination       = one(one(aws_lambda_function_event_invoke_config.this[0].destination_config).on_failure).destination
  }
}

output "alarm_actions" {
  description = "What each of the function's alarms notifies, by alarm."
  value       = { for key, alarm in aws_cloudwatch_metric_alarm.this : key => alarm.alarm_actions }
}

output "environment_names" {
  description = "The names of the function's environment variables (known at plan time, unlike some values)."
  value       = sort(keys(var.environment))
}
