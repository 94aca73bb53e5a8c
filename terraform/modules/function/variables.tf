variable "name" {
  description = "Function name; also names its role (with the region), log group and alarms."
  type        = string
}

variable "arn_context" {
  description = "Where the function lives (partition, region, account id): its role's name carries the region, and its policy names its log group's ARN."
  type = object({
    partition  = string
    region     = string
    account_id = string
  })
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

variable "async" {
  description = "For a function invoked asynchronously: how long Lambda keeps an event (60-21600 s), how often it retries a failed one (0-2), and the SQS queue that receives a record of each event it gives up on. null for functions fed by an event source mapping."
  type = object({
    maximum_event_age_seconds = number
    maximum_retry_attempts    = number
    on_failure_queue_arn      = string
  })
  default = null
  validation {
    condition     = var.async == null || try(var.async.maximum_event_age_seconds >= 60 && var.async.maximum_event_age_seconds <= 21600 && var.async.maximum_retry_attempts >= 0 && var.async.maximum_retry_attempts <= 2, false)
    error_message = "async.maximum_event_age_seconds must be 60 to 21600 and async.maximum_retry_attempts 0 to 2 (Lambda's limits)."
  }
}

variable "log_retention_days" {
  description = "How long the function's logs are kept."
  type        = number
  default     = 30
}

variable "logs_skip_destroy" {
  description = "Keep the log group (and its logs) when the function is destroyed."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "KMS key for the log group and environment variables; null uses AWS-managed keys."
  type        = string
  default     = null
}

variable "role_path" {
  description = "IAM path of the execution role."
  type        = string
  default     = "/"
}

variable "role_permissions_boundary" {
  description = "ARN of the policy that bounds the execution role's permissions; null for none."
  type        = string
  default     = null
}

variable "alarm_actions" {
  description = "ARNs (for example an SNS topic) notified when the function's alarms fire or clear."
  type        = list(string)
  default     = []
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
