variable "name" {
  description = "Prefix of every resource name; change it to run several copies in one account."
  type        = string
  default     = "image-pipeline"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,30}$", var.name))
    error_message = "name must be 3-31 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "eu-west-1"
}

variable "tags" {
  description = "Tags added to every resource (merged into the provider's default tags)."
  type        = map(string)
  default     = {}
}

variable "notification_mode" {
  description = "\"direct\": S3 notifies SQS (fewer moving parts). \"trigger\": S3 invokes the trigger Lambda, which validates and enqueues."
  type        = string
  default     = "direct"
  validation {
    condition     = contains(["direct", "trigger"], var.notification_mode)
    error_message = "notification_mode must be \"direct\" or \"trigger\"."
  }
}

variable "architecture" {
  description = "Lambda architecture: \"arm64\" (Graviton) or \"x86_64\"; `make build ARCH=...` must match."
  type        = string
  default     = "arm64"
  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be \"arm64\" or \"x86_64\"."
  }
}

variable "bucket_name" {
  description = "Input bucket name; null makes `<name>-<account id>-<region>`."
  type        = string
  default     = null
}

variable "separate_output_bucket" {
  description = "Write renditions and rejection records to a second bucket `<bucket>-out` instead of prefixes of the input bucket."
  type        = bool
  default     = false
}

variable "input_prefix" {
  description = "Uploads under this prefix are processed."
  type        = string
  default     = "uploads/"
  validation {
    condition     = length(var.input_prefix) > 1 && endswith(var.input_prefix, "/")
    error_message = "input_prefix must be a folder-like prefix ending in \"/\", such as \"uploads/\"."
  }
}

variable "output_prefix" {
  description = "Renditions are written under this prefix."
  type        = string
  default     = "processed/"
  validation {
    condition     = endswith(var.output_prefix, "/") && !startswith(var.output_prefix, var.input_prefix) && !startswith(var.input_prefix, var.output_prefix)
    error_message = "output_prefix must end in \"/\" and be disjoint from input_prefix (neither may start with the other), or outputs would trigger processing again."
  }
}

variable "rejected_prefix" {
  description = "Rejection records (JSON) are written under this prefix."
  type        = string
  default     = "rejected/"
  validation {
    condition = alltrue([
      endswith(var.rejected_prefix, "/"),
      !startswith(var.rejected_prefix, var.input_prefix),
      !startswith(var.input_prefix, var.rejected_prefix),
      !startswith(var.rejected_prefix, var.output_prefix),
      !startswith(var.output_prefix, var.rejected_prefix),
    ])
    error_message = "rejected_prefix must end in \"/\" and be disjoint from input_prefix and output_prefix."
  }
}

variable "rejected_retention_days" {
  description = "Days after which rejection records expire."
  type        = number
  default     = 30
  validation {
    condition     = var.rejected_retention_days >= 1
    error_message = "rejected_retention_days must be at least 1."
  }
}

variable "renditions" {
  description = "Renditions to make: `name:WIDTHxHEIGHT[:fit|cover][:qNN][:FORMATS]`, comma-separated; FORMATS is `jpeg`, `webp` or `avif`, or several joined by `+` (see the README)."
  type        = string
  default     = "thumb:200x200:cover:q75,medium:800x800:q80,large:1600x1600:q80"
}

variable "webp_method" {
  description = "libwebp's effort for WebP renditions, 0 (fastest) to 6 (smallest); 4 is libwebp's default."
  type        = number
  default     = 4
  validation {
    condition     = var.webp_method == floor(var.webp_method) && var.webp_method >= 0 && var.webp_method <= 6
    error_message = "webp_method must be a whole number from 0 to 6 (libwebp's methods)."
  }
}

variable "avif_speed" {
  description = "libaom's speed for AVIF renditions, 0 (slowest, smallest) to 10 (fastest); 9 is the default (10 encodes stills as 9 does)."
  type        = number
  default     = 9
  validation {
    condition     = var.avif_speed == floor(var.avif_speed) && var.avif_speed >= 0 && var.avif_speed <= 10
    error_message = "avif_speed must be a whole number from 0 to 10 (libaom's speeds)."
  }
}

variable "max_pixels" {
  description = "Images with more pixels are rejected from their header."
  type        = number
  default     = 50000000
  validation {
    condition     = var.max_pixels >= 1
    error_message = "max_pixels must be at least 1."
  }
}

variable "max_bytes" {
  description = "Uploads larger than this many bytes are rejected without being downloaded."
  type        = number
  default     = 52428800
  validation {
    condition     = var.max_bytes >= 1
    error_message = "max_bytes must be at least 1."
  }
}

variable "on_reject" {
  description = "\"record\": write a rejection record and acknowledge. \"dlq\": keep failing the message so it reaches the dead-letter queue."
  type        = string
  default     = "record"
  validation {
    condition     = contains(["record", "dlq"], var.on_reject)
    error_message = "on_reject must be \"record\" or \"dlq\"."
  }
}

variable "processor_memory_mb" {
  description = "Processor memory; 1769 MB is one full vCPU, 3538 two."
  type        = number
  default     = 1769
  validation {
    condition     = var.processor_memory_mb >= 128 && var.processor_memory_mb <= 10240
    error_message = "processor_memory_mb must be 128 to 10240 (Lambda's limits)."
  }
  # The processor's memory share per image (processor/src/config.rs): the memory less 64 MiB
  # for the runtime and three downloads of max_bytes per worker, over one worker per 1769 MB.
  validation {
    condition = (
      var.processor_memory_mb - 64 - 3 * min(6, max(1, ceil(var.processor_memory_mb / 1769))) * var.max_bytes / 1048576
    ) / min(6, max(1, ceil(var.processor_memory_mb / 1769))) >= 64
    error_message = "processor_memory_mb must leave each image the processor renders 64 MiB, after 64 MiB for the runtime and three downloads of max_bytes per vCPU (at the default max_bytes, at least 278)."
  }
}

variable "processor_timeout_seconds" {
  description = "Processor timeout per batch."
  type        = number
  default     = 60
  validation {
    condition     = var.processor_timeout_seconds >= 1 && var.processor_timeout_seconds <= 900
    error_message = "processor_timeout_seconds must be 1 to 900 (Lambda's limits)."
  }
}

variable "processor_reserved_concurrency" {
  description = "Executions reserved for the processor; -1 for none (the default: a new account, limited to 10, cannot reserve any). Lambda keeps 100 of the account's concurrency unreserved, so at most `UnreservedConcurrentExecutions - 100` from `aws lambda get-account-settings`; `make deploy` checks this before applying."
  type        = number
  default     = -1
  validation {
    condition     = var.processor_reserved_concurrency == -1 || var.processor_reserved_concurrency >= 0
    error_message = "processor_reserved_concurrency must be -1 (no reservation) or a count of executions."
  }
}

variable "batch_size" {
  description = "SQS messages per invocation."
  type        = number
  default     = 10
  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 100
    error_message = "batch_size must be 1 to 100 (more than 10 also needs a batching window)."
  }
}

variable "batching_window_seconds" {
  description = "How long the event source mapping gathers messages before invoking."
  type        = number
  default     = 1
  validation {
    condition     = var.batching_window_seconds >= 0 && var.batching_window_seconds <= 300
    error_message = "batching_window_seconds must be 0 to 300."
  }
  validation {
    condition     = var.batch_size <= 10 || var.batching_window_seconds >= 1
    error_message = "batch_size over 10 needs batching_window_seconds of at least 1."
  }
}

variable "maximum_concurrency" {
  description = "Most processor invocations the SQS mapping runs at once (2 to 1000). The default fits a new account, whose concurrency limit is 10; `aws lambda get-account-settings` shows yours (AccountLimit.ConcurrentExecutions)."
  type        = number
  default     = 5
  validation {
    condition     = var.maximum_concurrency >= 2 && var.maximum_concurrency <= 1000
    error_message = "maximum_concurrency must be 2 to 1000 (the event source mapping's limits)."
  }
  validation {
    condition     = var.processor_reserved_concurrency == -1 || var.maximum_concurrency <= var.processor_reserved_concurrency
    error_message = "maximum_concurrency must not exceed processor_reserved_concurrency, or the mapping gets throttled and every throttled receive counts toward max_receive_count, so messages drift to the DLQ: lower maximum_concurrency or raise the reservation."
  }
}

variable "queue_visibility_timeout_seconds" {
  description = "Visibility timeout of the queue; null means 6x the processor timeout plus the batching window (AWS's guidance)."
  type        = number
  default     = null
  validation {
    condition     = var.queue_visibility_timeout_seconds == null || try(var.queue_visibility_timeout_seconds >= 6 * var.processor_timeout_seconds + var.batching_window_seconds, false)
    error_message = "queue_visibility_timeout_seconds must be at least 6 x processor_timeout_seconds + batching_window_seconds, or messages reappear while still being processed: raise it or leave it null."
  }
}

variable "max_receive_count" {
  description = "Receives before a message goes to the dead-letter queue (at least 5)."
  type        = number
  default     = 5
  validation {
    condition     = var.max_receive_count >= 5
    error_message = "max_receive_count must be at least 5, so throttling alone does not send messages to the DLQ."
  }
}

variable "log_retention_days" {
  description = "Days the functions' logs are kept: one of CloudWatch Logs' retention periods (0 keeps them forever)."
  type        = number
  default     = 30
  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch Logs' periods: 0 (forever), 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "alarm_actions" {
  description = "More ARNs notified by every alarm, besides the alarm topic."
  type        = list(string)
  default     = []
}

variable "create_alarm_topic" {
  description = "Create an SNS topic `<name>-alarms` that every alarm notifies (subscribe to it, or list alarm_emails)."
  type        = bool
  default     = false
}

variable "alarm_topic_arn" {
  description = "An existing SNS topic every alarm notifies (for example your team's); null for none."
  type        = string
  default     = null
}

variable "alarm_emails" {
  description = "Email addresses subscribed to the created alarm topic (each must confirm by mail)."
  type        = list(string)
  default     = []
  validation {
    condition     = length(var.alarm_emails) == 0 || var.create_alarm_topic
    error_message = "alarm_emails subscribe to the topic this stack creates: set create_alarm_topic = true, or subscribe them to your own alarm_topic_arn."
  }
}

variable "create_dashboard" {
  description = "Create the CloudWatch dashboard `<name>`: images per minute, outcomes, time per image, the DLQ."
  type        = bool
  default     = true
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the processor's per-image metrics (EMF)."
  type        = string
  default     = "ImagePipeline"
  validation {
    condition     = can(regex("^[0-9A-Za-z.\\-_/#: ]{1,255}$", var.metrics_namespace)) && !startswith(var.metrics_namespace, "AWS/")
    error_message = "metrics_namespace must be 1-255 letters, digits and . - _ / # : or space, outside AWS/ (CloudWatch's rules)."
  }
}

variable "kms_key_arn" {
  description = "A customer-managed KMS key for the buckets, queues, logs, environment variables and alarm topic; null uses AWS-managed keys. Its key policy must let S3 (notifications), Lambda and CloudWatch Logs use it."
  type        = string
  default     = null
}

variable "cloudwatch_logs_skip_destroy" {
  description = "Keep the functions' log groups (and logs) when the stack is destroyed."
  type        = bool
  default     = false
}

variable "role_path" {
  description = "IAM path of every role the stack creates."
  type        = string
  default     = "/"
  validation {
    condition     = startswith(var.role_path, "/") && endswith(var.role_path, "/")
    error_message = "role_path must start and end with \"/\", such as \"/\" or \"/pipelines/\"."
  }
}

variable "role_permissions_boundary" {
  description = "ARN of a policy that bounds every role the stack creates; null for none."
  type        = string
  default     = null
}

variable "trigger_maximum_event_age_seconds" {
  description = "Trigger mode: how long Lambda keeps an upload's event it could not deliver yet (throttled or failing) before sending it to the trigger's failure queue (60-21600)."
  type        = number
  default     = 21600
  validation {
    condition     = var.trigger_maximum_event_age_seconds >= 60 && var.trigger_maximum_event_age_seconds <= 21600
    error_message = "trigger_maximum_event_age_seconds must be 60 to 21600 (Lambda's limits)."
  }
}

variable "trigger_maximum_retry_attempts" {
  description = "Trigger mode: how often Lambda retries an invocation that failed before sending the event to the failure queue (0-2)."
  type        = number
  default     = 2
  validation {
    condition     = var.trigger_maximum_retry_attempts >= 0 && var.trigger_maximum_retry_attempts <= 2
    error_message = "trigger_maximum_retry_attempts must be 0 to 2 (Lambda's limits)."
  }
}

variable "notification_propagation_seconds" {
  description = "Pause between creating the queue policy or invoke permission and setting the bucket notification, which S3 validates against them."
  type        = number
  default     = 15
}

variable "github_repository" {
  description = "`owner/repo` of the GitHub repository whose Actions deploy this stack (.github/workflows/deploy.yml); creates its OIDC roles. null for none."
  type        = string
  default     = null
  validation {
    condition     = var.github_repository == null || can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must look like owner/repo."
  }
}

variable "github_branch" {
  description = "The branch whose workflow runs may apply (pull requests may only plan)."
  type        = string
  default     = "main"
}

variable "github_oidc_provider_arn" {
  description = "The account's existing GitHub OIDC provider (an account has one per URL); null creates it."
  type        = string
  default     = null
}

variable "terraform_state_bucket" {
  description = "The S3 bucket of the remote state, which the GitHub roles read (plan) and write (deploy); null for none."
  type        = string
  default     = null
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete buckets that still hold objects (`make destroy` empties them first anyway)."
  type        = bool
  default     = false
}

variable "cdn_enabled" {
  description = "Serve the renditions through CloudFront: a distribution over the output prefix, read through Origin Access Control, whose function picks each rendition's format from the Accept header (modules/cdn)."
  type        = bool
  default     = false
  validation {
    condition     = !var.cdn_enabled || var.local_endpoint == null
    error_message = "cdn_enabled needs AWS: the local emulator has no CloudFront functions or policies."
  }
}

variable "cdn_price_class" {
  description = "The distribution's edge locations: PriceClass_100 (North America, Europe), PriceClass_200 or PriceClass_All."
  type        = string
  default     = "PriceClass_100"
  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.cdn_price_class)
    error_message = "cdn_price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "processor_zip" {
  description = "The processor's bootstrap zip (from `make build`)."
  type        = string
  default     = "../target/lambda/processor/bootstrap.zip"
}

variable "trigger_zip" {
  description = "The trigger's bootstrap zip (from `make build`)."
  type        = string
  default     = "../target/lambda/trigger/bootstrap.zip"
}

variable "local_endpoint" {
  description = "URL of a local AWS emulator (set by `make loadtest`); null deploys to AWS."
  type        = string
  default     = null
}
