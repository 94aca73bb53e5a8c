# The project's root module, unchanged, against a local AWS emulator: what `make loadtest`
# and the Terraform tests apply. It reads the same settings file as a real deployment
# (config/pipeline.json), with the few local overrides below. A wrapper of its own keeps this
# state apart from a real deployment's state and backend.

locals {
  settings = jsondecode(file(coalesce(var.config_file, "${path.module}/../../../config/pipeline.json")))
}

module "pipeline" {
  source = "../.."

  # The settings users change, from the settings file.
  renditions                        = local.settings.renditions
  webp_method                       = local.settings.webp_method
  avif_speed                        = local.settings.avif_speed
  architecture                      = local.settings.architecture
  input_prefix                      = local.settings.input_prefix
  output_prefix                     = local.settings.output_prefix
  rejected_prefix                   = local.settings.rejected_prefix
  rejected_retention_days           = local.settings.rejected_retention_days
  separate_output_bucket            = local.settings.separate_output_bucket
  max_pixels                        = local.settings.max_pixels
  max_bytes                         = local.settings.max_bytes
  on_reject                         = local.settings.on_reject
  processor_memory_mb               = local.settings.processor_memory_mb
  batch_size                        = local.settings.batch_size
  batching_window_seconds           = local.settings.batching_window_seconds
  max_receive_count                 = local.settings.max_receive_count
  log_retention_days                = local.settings.log_retention_days
  trigger_maximum_event_age_seconds = local.settings.trigger_maximum_event_age_seconds
  trigger_maximum_retry_attempts    = local.settings.trigger_maximum_retry_attempts
  metrics_namespace                 = local.settings.metrics_namespace
  create_dashboard                  = local.settings.create_dashboard

  # What differs on this machine.
  local_endpoint            = var.endpoint
  region                    = "us-east-1"
  name                      = var.name
  bucket_name               = "${var.name}-bucket"
  notification_mode         = var.notification_mode
  processor_zip             = var.processor_zip
  trigger_zip               = var.trigger_zip
  processor_timeout_seconds = var.processor_timeout_seconds
  maximum_concurrency       = var.maximum_concurrency
  force_destroy             = var.force_destroy
}
