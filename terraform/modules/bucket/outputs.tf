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
  # No statement at all (tls_only off, nothing joined) reads as null, not as an empty list.
  value = toset(flatten([
    for s in coalesce(data.aws_iam_policy_document.this.statement, []) : s.actions if s.sid == "DenyInsecureTransport"
  ]))
}

output "regional_domain_name" {
  description = "The bucket's regional domain name (a CloudFront origin)."
  value       = aws_s3_bucket.this.bucket_regional_domain_name
}

output "joined_policy_documents" {
  description = "How many further policy documents the bucket policy holds (a CloudFront distribution's read)."
  value       = length(var.policy_documents)
}
