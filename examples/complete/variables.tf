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

# The key the copies are encrypted with outlives the stack: `terraform destroy` stops at it, because
# deleting it would make every copy unrestorable. To remove the stack, keep the key and its alias:
#   terraform state rm 'module.rds_snapshot_copy.aws_kms_key.this[0]' 'module.rds_snapshot_copy.aws_kms_alias.this[0]'
#   terraform destroy
# The copies stay restorable; the key stays billed, $1 a month. Set false only for a throw-away stack
# (a test, a demo): its destroy then schedules the key, and with it the copies, for deletion.
variable "kms_key_prevent_destroy" {
  description = "Keep the created KMS key when the stack is destroyed (see the comment above); false only for throw-away stacks."
  type        = bool
  default     = true
}

variable "source_filter" {
  description = "Which databases and clusters are copied: glob patterns on the DB instance / cluster identifier (include_identifiers, exclude_identifiers) and tags of the database or cluster itself (include_tags, exclude_tags; an empty list of values matches any value). The default copies all."
  type = object({
    include_identifiers = optional(list(string), [])
    exclude_identifiers = optional(list(string), [])
    include_tags        = optional(map(list(string)), {})
    exclude_tags        = optional(map(list(string)), {})
  })
  default  = {}
  nullable = false
}

variable "retention_days" {
  description = "Age in days after which the pruner deletes the copies in the destination region (keeping the keep_last newest of each source); null turns pruning off."
  type        = number
  default     = 35
}

variable "keep_last" {
  description = "Newest copies of each source the pruner always keeps; at least 1, so that the next DB snapshot copy stays incremental."
  type        = number
  default     = 3
}

variable "prune_schedule" {
  description = "When the pruner runs: rate(...) or cron(...), in the source region."
  type        = string
  default     = "rate(1 day)"
}

variable "prune_dry_run" {
  description = "The pruner only logs what it would delete."
  type        = bool
  default     = false
}

variable "prune_lambda_timeout" {
  description = "Timeout of the pruner function in seconds."
  type        = number
  default     = 300
}

variable "quota_alarm_threshold_percent" {
  description = "Share of a manual snapshot quota in the destination region at or above which its alarm fires."
  type        = number
  default     = 80
}

variable "rpo_hours" {
  description = "Recovery point objective in hours: the recovery_point alarm fires when a source's newest available copy comes from a snapshot older than this, or it has none."
  type        = number
  default     = 26
}

variable "reconcile_grace_minutes" {
  description = "Minutes a new source snapshot is left to its own RDS event before the reconciler enqueues it."
  type        = number
  default     = 15
}

variable "reconcile_schedule" {
  description = "How often the reconciler runs: rate(5 minutes) to rate(1 day), in the source region."
  type        = string
  default     = "rate(1 hour)"
}

variable "reconcile_lambda_timeout" {
  description = "Timeout of the reconciler function in seconds."
  type        = number
  default     = 900
}

variable "per_source_recovery_point_metrics" {
  description = "Also publish each source's recovery point age: about $0.30 a month per source (400 sources, about $120 a month)."
  type        = bool
  default     = false
}

variable "drill_max_age_days" {
  description = "Days after which the drill_age alarm fires when no restore drill has passed or none is on record (90 for a quarterly drill); null, no check."
  type        = number
  default     = null
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
