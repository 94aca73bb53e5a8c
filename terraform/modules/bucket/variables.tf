variable "name" {
  description = "Bucket name (globally unique)."
  type        = string
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete a bucket that still holds objects."
  type        = bool
  default     = false
}

variable "expiring_prefixes" {
  description = "Key prefixes whose objects expire, with their age in days (for example rejection records)."
  type        = map(number)
  default     = {}
}

variable "kms_key_arn" {
  description = "KMS key for default encryption; null uses S3-managed keys (SSE-S3)."
  type        = string
  default     = null
}

variable "tls_only" {
  description = "Deny every request not made over TLS (off only for a plain-HTTP local emulator)."
  type        = bool
  default     = true
}

variable "policy_documents" {
  description = "Further bucket policy documents (JSON) merged into the bucket's one policy, for example a CloudFront distribution's read access."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for every resource of this module."
  type        = map(string)
  default     = {}
}
