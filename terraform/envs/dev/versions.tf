terraform {
  # S3 native state locking (use_lockfile) needs Terraform 1.10 or later.
  required_version = ">= 1.10.0"

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
