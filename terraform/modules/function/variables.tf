variable "name" {
  description = "Function name; also names its role and log group."
  type        = string
}

variable "zip_path" {
  description = "Path of the zip holding the `bootstrap` executable (built by `make build`)."
  type        = string
}

variable "architecture" {
  description = "`arm64` (Graviton, cheaper per GB-s) or `x86_64`; must match how the zip was built."
  type        = string
  default     = "arm64"
  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be \"arm64\" or \"x86_64\"."
  }
}

variable "memory_mb" {
  description = "Memory in MB; Lambda gives one vCPU per 1769 MB."
  type        = number
  default     = 1769
  validation {
    condition     = var.memory_mb >= 128 && var.memory_mb <= 10240
    error_message = "memory_mb must be 128 to 10240."
  }
}

variable "timeout_seconds" {
  description = "Maximum run time of one invocation."
  type        = number
  default     = 60
  validation {
    condition     = var.timeout_seconds >= 1 && var.timeout_seconds <= 900
    error_message = "timeout_seconds must be 1 to 900."
  }
}

variable "reserved_concurrency" {
  description = "Concurrent executions reserved for (and capped at) this function; -1 for none."
  type        = number
  default     = -1
}

variable "environment" {
  description = "Environment variables."
  type        = map(string)
  default     = {}
}

variable "statements" {
  description = "The function's own permissions as IAM statements (Allow); writing its logs is added here."
  type = list(object({
    sid       = string
    actions   = list(string)
    resources = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
}

variable "log_retention_days" {
  description = "How long the function's logs are kept."
  type        = number
  default     = 30
}

variable "kms_key_arn" {
  description = "KMS key for the log group and environment variables; null uses AWS-managed keys."
  type        = string
  default     = null
}

variable "recursion_guard" {
  description = "Create the recursive-loop detection setting (Terminate); off only for emulators that lack the API."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for every resource of this module."
  type        = map(string)
  default     = {}
}
