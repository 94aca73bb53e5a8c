variable "name" {
  description = "Queue name; the alarm is `<name>-not-empty`."
  type        = string
}

variable "retention_seconds" {
  description = "How long a message is kept (14 days, SQS's maximum, by default)."
  type        = number
  default     = 1209600
  validation {
    condition     = var.retention_seconds >= 60 && var.retention_seconds <= 1209600
    error_message = "SQS keeps messages for 60 s to 14 days (1209600 s)."
  }
}

variable "alarm_description" {
  description = "What the not-empty alarm tells the person it reaches: what happened and what to do."
  type        = string
}

variable "alarm_actions" {
  description = "ARNs (for example an SNS topic) notified when the alarm fires or clears."
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  description = "KMS key to encrypt messages with; null uses SQS-managed keys (SSE-SQS)."
  type        = string
  default     = null
}

variable "tls_only" {
  description = "Deny every request not made over TLS (off only for a plain-HTTP local emulator)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for every resource of this module."
  type        = map(string)
  default     = {}
}
