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

variable "renditions" {
  description = "Renditions to make."
  type        = string
  default     = "thumb:200x200:cover:q75,medium:800x800:q80,large:1600x1600:q80"
}

variable "processor_memory_mb" {
  description = "Processor memory (the local run projects costs from it)."
  type        = number
  default     = 1769
}

variable "processor_timeout_seconds" {
  description = "Processor timeout per batch."
  type        = number
  default     = 60
}

variable "batch_size" {
  description = "SQS messages per invocation."
  type        = number
  default     = 10
}

variable "maximum_concurrency" {
  description = "Most processor invocations at once."
  type        = number
  default     = 2
}
