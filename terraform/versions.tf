terraform {
  required_version = ">= 1.11, < 2.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Remote state is recommended for anything shared; see README "Use this as a template".
  # backend "s3" {
  #   bucket       = "my-terraform-state"
  #   key          = "image-pipeline/terraform.tfstate"
  #   region       = "eu-west-1"
  #   use_lockfile = true
  # }
}
