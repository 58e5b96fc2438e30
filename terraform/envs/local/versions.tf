terraform {
  # The same Terraform as dev, whose S3 backend locks with use_lockfile (generally available from 1.11).
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80, < 6.0"
    }
  }

  # State stays on the machine, beside the emulator it describes; the toolkit may point it elsewhere with
  # -backend-config=path=...
  backend "local" {}
}
