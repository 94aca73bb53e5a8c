variable "endpoint" {
  description = "URL of the local AWS emulator."
  type        = string
  default     = "http://127.0.0.1:5055"
}

variable "name" {
  description = "Prefix of every resource name."
  type        = string
  default     = "image-pipeline-local"
}

variable "notification_mode" {
  description = "\"direct\" or \"trigger\"."
  type        = string
  default     = "direct"
}

variable "processor_zip" {
  description = "The processor's bootstrap zip."
  type        = string
}

variable "trigger_zip" {
  description = "The trigger's bootstrap zip."
  type        = string
}

variable "processor_timeout_seconds" {
  description = "Processor timeout per batch."
  type        = number
  default     = 60
}

variable "maximum_concurrency" {
  description = "Most processor invocations at once."
  type        = number
  default     = 2
}

variable "force_destroy" {
  description = "Let destroy delete buckets that still hold objects (the destroy test turns it off, as on AWS)."
  type        = bool
  default     = true
}

variable "config_file" {
  description = "The settings file both deployers read; null is the repository's config/pipeline.json."
  type        = string
  default     = null
}
