output "domain_name" {
  description = "The distribution's domain: https://<domain>/<upload key stem>/<rendition name>."
  value       = aws_cloudfront_distribution.this.domain_name
}

output "distribution_id" {
  description = "The distribution's ID (for invalidations)."
  value       = aws_cloudfront_distribution.this.id
}

output "distribution_arn" {
  description = "The distribution's ARN."
  value       = aws_cloudfront_distribution.this.arn
}

output "bucket_policy_json" {
  description = "The statement the rendition bucket's policy must hold: reads under the output prefix, by this distribution only."
  value       = data.aws_iam_policy_document.read_by_distribution.json
}

output "bucket_policy_statement" {
  description = "That statement as configured, for checks at plan time (the JSON is known only at apply)."
  value       = one(data.aws_iam_policy_document.read_by_distribution.statement)
}

output "function_code" {
  description = "The viewer-request function's code, with the RENDITIONS setting in place."
  value       = aws_cloudfront_function.format_router.code
}
