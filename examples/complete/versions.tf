terraform {
  # 1.9: the region variables validate against each other (and the module needs it).
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.75"
    }
  }
}
