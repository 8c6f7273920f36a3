variable "source_region" {
  description = "Region whose RDS and Aurora snapshots the source account shares and the vault copies from (required)."
  type        = string
}

variable "destination_region" {
  description = "Region of the vault's copies, encrypted with its key there (required)."
  type        = string

  validation {
    condition     = var.destination_region != var.source_region
    error_message = "destination_region must differ from source_region: the vault makes cross-region copies."
  }
}

variable "name" {
  description = "Prefix of the vault's resource names (the module's `name`)."
  type        = string
  default     = "rds-snapshot-copy"
}

variable "partition" {
  description = "AWS partition of both accounts (aws, aws-cn, aws-us-gov), for the source account role's ARN."
  type        = string
  default     = "aws"
}

variable "vault_account_role_arn" {
  description = "Optional: a role of the backup account for Terraform to assume; null uses the stack's own credentials, which must then be the backup account's."
  type        = string
  default     = null
}

variable "source_account_id" {
  description = "The source account (12 digits) whose snapshots the vault copies (required)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.source_account_id))
    error_message = "source_account_id must be a 12-digit AWS account ID."
  }
}

variable "source_account_role_name" {
  description = "Role of the source account that Terraform assumes to deploy the source side."
  type        = string
  default     = "OrganizationAccountAccessRole"
}

variable "source_share_name" {
  description = "The source side's name (modules/source-account `name`, the vault's `source_share_role_name`)."
  type        = string
  default     = "rds-snapshot-share"
}

variable "key_admin_principal_arns" {
  description = "The vault key's guard (the module's key_admin_principal_arns): IAM roles or users of the backup account that alone may schedule its deletion, disable it or change its policy; include the role Terraform deploys with (required)."
  type        = list(string)
}

# The vault's key outlives the stack by default (the module's kms_key_prevent_destroy); false only for a
# throw-away stack (a test, a demo).
variable "kms_key_prevent_destroy" {
  description = "Keep the vault's key when the stack is destroyed (the module's `kms_key_prevent_destroy`)."
  type        = bool
  default     = true
}

variable "shareable_kms_key_arns" {
  description = "Customer keys of the source account (source region) whose policies let the vault's copier role use them through RDS; manual snapshots under them are shared as they are."
  type        = list(string)
  default     = []
}

variable "source_filter" {
  description = "Which databases and clusters are shared and copied (the module's `source_filter`); all by default."
  type = object({
    include_identifiers = optional(list(string), [])
    exclude_identifiers = optional(list(string), [])
    include_tags        = optional(map(list(string)), {})
    exclude_tags        = optional(map(list(string)), {})
  })
  default = {}
}

variable "reconcile_grace_minutes" {
  description = "Minutes a new shared snapshot is left to its own event before the vault's reconciler enqueues it."
  type        = number
  default     = 15
}

variable "drill_max_age_days" {
  description = "Days after which the vault's drill_age alarm fires without a passed drill; null: no check."
  type        = number
  default     = null
}

variable "lambda_package_path" {
  description = "Optional: a prebuilt function package, the zip of lambda/ (`rds-snapshot-copy package`), used by both modules; null (the default): each module zips lambda/ itself."
  type        = string
  default     = null
}

variable "lambda_package_hash" {
  description = "Base64-encoded SHA-256 of lambda_package_path's zip; with lambda_package_path only."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource of both accounts."
  type        = map(string)
  default     = {}
}
