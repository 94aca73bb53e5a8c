output "id" {
  description = "Bucket name."
  value       = aws_s3_bucket.this.id
}

output "arn" {
  description = "Bucket ARN."
  value       = aws_s3_bucket.this.arn
}

output "kms_key" {
  description = "The KMS key of default encryption; null for SSE-S3."
  value       = one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default[0].kms_master_key_id
}

output "tls_policy_actions" {
  description = "The actions the bucket policy denies over plain HTTP."
  value       = one(data.aws_iam_policy_document.tls_only.statement).actions
}
