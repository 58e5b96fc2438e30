terraform {
  required_version = ">= 1.10.0"

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
