terraform {
  required_version = ">= 1.11.0" # use_lockfile (S3 native locking) is generally available from 1.11

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80, < 6.0"
    }
  }

  # Partial configuration, as for the environments: backend.hcl (see backend.hcl.example, not committed).
  backend "s3" {}
}
