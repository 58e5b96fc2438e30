terraform {
  # S3 native state locking (use_lockfile) is generally available from Terraform 1.11 (experimental in 1.10).
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80, < 6.0"
    }
  }

  # Partial configuration: the bucket, key and Region come from backend.hcl (see backend.hcl.example), which is
  # not committed.
  backend "s3" {}
}
