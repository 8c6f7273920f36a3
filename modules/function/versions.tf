terraform {
  # 1.3: endswith() in the variable validations.
  required_version = ">= 1.3"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.31 added Lambda logging_config.
      version = ">= 5.31"
    }
  }
}
