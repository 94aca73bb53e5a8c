locals {
  # A local AWS emulator (make loadtest) instead of AWS: fake credentials, one endpoint.
  emulated = var.local_endpoint != null
}

provider "aws" {
  region = var.region

  access_key                  = local.emulated ? "test" : null
  secret_key                  = local.emulated ? "test" : null
  skip_credentials_validation = local.emulated
  skip_requesting_account_id  = local.emulated
  skip_metadata_api_check     = local.emulated
  s3_use_path_style           = local.emulated

  dynamic "endpoints" {
    for_each = local.emulated ? [var.local_endpoint] : []
    content {
      s3         = endpoints.value
      sqs        = endpoints.value
      iam        = endpoints.value
      lambda     = endpoints.value
      sts        = endpoints.value
      cloudwatch = endpoints.value
      logs       = endpoints.value
    }
  }

  default_tags {
    tags = merge({ Project = var.name, ManagedBy = "terraform" }, var.tags)
  }
}
