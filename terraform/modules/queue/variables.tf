variable "name" {
  description = "Queue name; the dead-letter queue is named `<name>-dlq`."
  type        = string
}

variable "visibility_timeout_seconds" {
  description = "How long a received message stays hidden; at least 6x the consumer's timeout."
  type        = number
}

variable "max_receive_count" {
  description = "Receives before a message moves to the dead-letter queue."
  type        = number
  default     = 5
  validation {
    condition     = var.max_receive_count >= 5
    error_message = "max_receive_count must be at least 5, so throttling alone does not send messages to the DLQ."
  }
}

variable "retention_seconds" {
  description = "How long the queue keeps a message."
  type        = number
  default     = 345600 # 4 days
}

variable "dlq_retention_seconds" {
  description = "How long the dead-letter queue keeps a message; longer than the queue's."
  type        = number
  default     = 1209600 # 14 days, the maximum
  validation {
    condition     = var.dlq_retention_seconds <= 1209600
    error_message = "SQS keeps messages for 14 days (1209600 s) at most."
  }
}

variable "allowed_source_bucket_arn" {
  description = "A bucket allowed to send S3 event notifications to the queue; null allows none."
  type        = string
  default     = null
}

variable "account_id" {
  description = "The account that owns the source bucket (aws:SourceAccount condition)."
  type        = string
}

variable "redrive_allow_policy" {
  description = "Restrict the DLQ to this queue with a redrive-allow policy (off only for emulators that lack it)."
  type        = bool
  default     = true
}

variable "oldest_message_alarm_seconds" {
  description = "Alarm when the oldest message has waited this long."
  type        = number
  default     = 900
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

variable "alarm_actions" {
  description = "ARNs (for example SNS topics) notified when an alarm fires or clears."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for every resource of this module."
  type        = map(string)
  default     = {}
}
