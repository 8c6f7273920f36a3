variable "source_region" {
  description = "Region whose new RDS and Aurora snapshots are copied (e.g. eu-west-1)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.source_region))
    error_message = "source_region must be a region name such as eu-west-1."
  }
}

variable "first_destination_region" {
  description = "First region the snapshots are copied to, encrypted with a KMS key created there (e.g. eu-central-1)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.first_destination_region))
    error_message = "first_destination_region must be a region name such as eu-central-1."
  }

  validation {
    condition     = var.first_destination_region != var.source_region
    error_message = "first_destination_region must differ from source_region: the module makes cross-region copies."
  }
}

variable "second_destination_region" {
  description = "Second region the snapshots are copied to, encrypted with a KMS key created there (e.g. eu-north-1)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.second_destination_region))
    error_message = "second_destination_region must be a region name such as eu-north-1."
  }

  validation {
    condition     = var.second_destination_region != var.source_region
    error_message = "second_destination_region must differ from source_region: the module makes cross-region copies."
  }

  validation {
    condition     = var.second_destination_region != var.first_destination_region
    error_message = "second_destination_region must differ from first_destination_region: two instances copying to one region would each make a copy of every snapshot there."
  }
}

variable "name" {
  description = "Prefix of every resource name; each instance is named `<name>-<destination region>`."
  type        = string
  default     = "rds-snapshot-copy"

  # The module's `name` may have at most 47 characters (its rule, `<name>-snapshot-created`, must fit
  # EventBridge's 64); `<name>-<region>` with regions of up to 14 characters (ap-southeast-1) fits when
  # `name` has at most 32. The module checks its own limits too.
  validation {
    condition     = length(var.name) <= 32
    error_message = "name must be at most 32 characters long, so that `<name>-<destination region>` fits the module's name limits."
  }
}

variable "lambda_package_path" {
  description = "Optional: a prebuilt function package for both instances, the zip of lambda/ (`rds-snapshot-copy package --output build/lambda.zip`); null (the default): each instance zips the module's own lambda/."
  type        = string
  default     = null
}

variable "lambda_package_hash" {
  description = "Base64-encoded SHA-256 of lambda_package_path's zip; with lambda_package_path only."
  type        = string
  default     = null
}

# Each destination's key outlives the stack: `terraform destroy` stops at it, because deleting it would
# make every copy in that region unrestorable. To remove the stack, keep both keys and their aliases:
#   terraform state rm 'module.copy_to_first_destination.aws_kms_key.this[0]' 'module.copy_to_first_destination.aws_kms_alias.this[0]'
#   terraform state rm 'module.copy_to_second_destination.aws_kms_key.this[0]' 'module.copy_to_second_destination.aws_kms_alias.this[0]'
#   terraform destroy
# Set false only for a throw-away stack: its destroy then schedules both keys, and with them the copies,
# for deletion.
# The keys' guard: only these IAM roles or users may disable either key, schedule its deletion or change
# its policy; the break-glass principals of both SCPs. Required: list a break-glass role and the role
# Terraform runs as (it needs kms:PutKeyPolicy to change a key's policy later).
variable "key_admin_principal_arns" {
  description = "IAM role or user ARNs that alone may disable, schedule the deletion of, or change the policy of both keys (the module's `key_admin_principal_arns`)."
  type        = list(string)
}

variable "kms_key_prevent_destroy" {
  description = "Keep the KMS keys created in both destinations when the stack is destroyed (see the comment above); false only for throw-away stacks."
  type        = bool
  default     = true
}

variable "alarm_sns_topic_arn" {
  description = "SNS topic in the source region that both instances' alarms notify; null creates the alarms without actions."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource; each instance adds `destination_region`."
  type        = map(string)
  default = {
    managed-by = "terraform"
    purpose    = "rds-snapshot-copy"
  }
}
