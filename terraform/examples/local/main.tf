# The project's root module, unchanged, against a local AWS emulator: what `make loadtest`
# and the Terraform tests apply. A wrapper of its own keeps this state apart from a real
# deployment's state and backend.

module "pipeline" {
  source = "../.."

  local_endpoint            = var.endpoint
  region                    = "us-east-1"
  name                      = var.name
  notification_mode         = var.notification_mode
  processor_zip             = var.processor_zip
  trigger_zip               = var.trigger_zip
  renditions                = var.renditions
  processor_memory_mb       = var.processor_memory_mb
  processor_timeout_seconds = var.processor_timeout_seconds
  batch_size                = var.batch_size
  maximum_concurrency       = var.maximum_concurrency
  bucket_name               = "${var.name}-bucket"
  force_destroy             = true
}
