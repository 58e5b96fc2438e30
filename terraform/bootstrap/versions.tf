terraform {
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80, < 6.0"
    }
  }

  # Partial configuration, as for the environments: backend.hcl (see backend.hcl.example, not committed).
  backend "s3" {}
}
