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
