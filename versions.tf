terraform {
  # 1.9: variable validations read the event catalogue file and other variables.
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.31 added Lambda logging_config; 5.75 has the fixed tagging of event source mappings (5.70-5.72 broke it).
      version               = ">= 5.75"
      configuration_aliases = [aws.source, aws.destination]
    }
    # The module zips its own lambda/ (package.tf); 2.4 added archive_file's glob `excludes`.
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.4"
    }
  }
}
