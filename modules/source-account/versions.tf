terraform {
  # 1.9: variable validations refer to other variables.
  required_version = ">= 1.9"

  required_providers {
    # One region, one account: the default `aws` provider of the caller (no aliases, no provider blocks).
    aws = {
      source = "hashicorp/aws"
      # As the root module: 5.31 Lambda logging_config, 5.75 the fixed tagging of event source mappings.
      version = ">= 5.75"
    }
    # The module zips the repository's lambda/ (as the root's package.tf); 2.4 added archive_file's `excludes`.
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.4"
    }
  }
}
