variable "source_region" {
  description = "Region whose new RDS and Aurora snapshots are copied (e.g. eu-west-1)."
  type        = string
}

variable "destination_region" {
  description = "Region the snapshots are copied to, encrypted with a KMS key created there (e.g. eu-central-1)."
  type        = string

  validation {
    condition     = var.destination_region != var.source_region
    error_message = "destination_region must differ from source_region: the module makes cross-region copies."
  }
}

variable "name" {
  description = "Prefix of every resource name."
  type        = string
  default     = "rds-snapshot-copy"
}

variable "lambda_package_path" {
  description = "Path of the function package, the zip of lambda/ (see main.tf for how to build it)."
  type        = string
}

variable "lambda_package_hash" {
  description = "Base64-encoded SHA-256 of the function package."
  type        = string
}

variable "alarm_sns_topic_arn" {
  description = "SNS topic in the source region that the alarms notify; null creates the alarms without actions."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default = {
    managed-by = "terraform"
    purpose    = "rds-snapshot-copy"
  }
}
