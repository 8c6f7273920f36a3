variable "source_region" {
  description = "Region whose new RDS and Aurora snapshots are copied (required: no region is a safe guess)."
  type        = string
}

variable "destination_region" {
  description = "Region the snapshots are copied to, encrypted with a KMS key there (required)."
  type        = string

  validation {
    condition     = var.destination_region != var.source_region
    error_message = "destination_region must differ from source_region: the module makes cross-region copies."
  }
}

variable "name" {
  description = "Prefix of every resource name (see the module's `name`)."
  type        = string
  default     = "rds-snapshot-copy"
}

variable "lambda_package_path" {
  description = "Optional: a prebuilt function package, the zip of lambda/ (`rds-snapshot-copy package --output build/lambda.zip`), for pipelines that build once; null (the default): the module zips its own lambda/."
  type        = string
  default     = null
}

variable "lambda_package_hash" {
  description = "Base64-encoded SHA-256 of lambda_package_path's zip (`rds-snapshot-copy package` prints it); with lambda_package_path only."
  type        = string
  default     = null
}

variable "snapshot_event_ids" {
  description = "RDS event IDs whose snapshots are copied; the snapshot-created events of lambda/snapshot_copy/snapshot_kinds.json."
  type        = list(string)
  default     = ["RDS-EVENT-0042", "RDS-EVENT-0075", "RDS-EVENT-0091", "RDS-EVENT-0169"]
}

variable "kms_key_arn" {
  description = "Existing KMS key in the destination region for the copies (a key of another region fails the plan); null creates one."
  type        = string
  default     = null
}

# The key the copies are encrypted with outlives the stack: `terraform destroy` stops at it, because
# deleting it would make every copy unrestorable. To remove the stack, keep the key and its alias:
#   terraform state rm 'module.rds_snapshot_copy.aws_kms_key.this[0]' 'module.rds_snapshot_copy.aws_kms_alias.this[0]'
#   terraform destroy
# The copies stay restorable; the key stays billed, $1 a month. Set false only for a throw-away stack
# (a test, a demo): its destroy then schedules the key, and with it the copies, for deletion.
variable "kms_key_prevent_destroy" {
  description = "Keep the created KMS key when the stack is destroyed (see the comment above; the module's `kms_key_prevent_destroy`); false only for throw-away stacks."
  type        = bool
  default     = true
}

# The key's guard (issue 18): only these IAM roles or users may disable the key the module creates,
# schedule its deletion or change its policy, and they are the break-glass principals of the SCP output
# (backup_protection_scp_json). Required with a created key: list a break-glass role and the role Terraform
# runs as (Terraform needs kms:PutKeyPolicy to change the key's policy later). The one input 0.4.x did not have.
variable "key_admin_principal_arns" {
  description = "IAM role or user ARNs that alone may disable, schedule the deletion of, or change the policy of the key (the module's `key_admin_principal_arns`); at least one when the module creates the key."
  type        = list(string)
}

variable "source_kms_key_arns" {
  description = "Customer-managed KMS keys of encrypted source snapshots (aws/rds-encrypted snapshots need none)."
  type        = list(string)
  default     = []
}

variable "option_group_name" {
  description = "Option group for DB snapshot copies in the destination region; null copies without one."
  type        = string
  default     = null
}

variable "max_db_copies_in_progress" {
  description = "Most DB snapshot copies in progress into the destination region at once."
  type        = number
  default     = 20
}

variable "max_cluster_copies_in_progress" {
  description = "Most DB cluster snapshot copies in progress into the destination region at once."
  type        = number
  default     = 5
}

variable "copy_wait_max_hours" {
  description = "How long an event may wait for a copy slot or a retry before it is dead-lettered."
  type        = number
  default     = 72
}

variable "source_filter" {
  description = "Which databases and clusters are copied: globs on the DB instance / cluster identifier (include_identifiers, exclude_identifiers) and tags of the database or cluster itself (include_tags, exclude_tags; an empty list of values matches any value). The default copies all. See the module's `source_filter`."
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
  description = "Age in days after which the pruner deletes this deployment's copies in the destination region, keeping the keep_last newest of each source; null turns pruning off (the quota metrics are still published)."
  type        = number
  default     = 35
}

variable "keep_last" {
  description = "Newest copies of each source the pruner always keeps (at least 1: the newest copy keeps the next DB snapshot copy incremental)."
  type        = number
  default     = 3
}

# Calendar tiers and the minimum-retention lock (issue 18; docs/compliance.md). Null: not set.
variable "keep_daily" {
  description = "Also keep the newest copy of each source in each of the last N days, past retention_days (which must then be below N)."
  type        = number
  default     = null
}

variable "keep_weekly" {
  description = "Also keep the newest copy of each source in each of the last N ISO weeks (7 × N above retention_days)."
  type        = number
  default     = null
}

variable "keep_monthly" {
  description = "Also keep the newest copy of each source in each of the last N months (31 × N above retention_days)."
  type        = number
  default     = null
}

variable "keep_yearly" {
  description = "Also keep the newest copy of each source in each of the last N years (366 × N above retention_days)."
  type        = number
  default     = null
}

variable "min_retention_days" {
  description = "The lock: the pruner never deletes a copy whose data is younger than this; retention_days may not be below it."
  type        = number
  default     = null
}

variable "prune_schedule" {
  description = "EventBridge schedule expression of the pruner, rate(...) or cron(...) (the module's `pruner_schedule`)."
  type        = string
  default     = "rate(1 day)"
}

variable "prune_dry_run" {
  description = "The pruner only logs what it would delete; its role then cannot delete (the module's `pruner_dry_run`)."
  type        = bool
  default     = false
}

variable "prune_lambda_timeout" {
  description = "Timeout of the pruner function in seconds (the module's `pruner_timeout`)."
  type        = number
  default     = 300
}

variable "quota_alarm_threshold_percent" {
  description = "Share of a manual snapshot quota in the destination region at or above which its alarm fires."
  type        = number
  default     = 80
}

variable "rpo_hours" {
  description = "Recovery point objective in hours: the recovery_point alarm fires when a source's newest available copy comes from a snapshot older than this, or it has none (see the module's `rpo_hours`)."
  type        = number
  default     = 26
}

variable "reconcile_grace_minutes" {
  description = "Minutes a new source snapshot is left to its own RDS event before the reconciler enqueues it (the module's `reconciler_grace_minutes`)."
  type        = number
  default     = 15
}

variable "reconcile_schedule" {
  description = "How often the reconciler runs, a rate() expression from rate(5 minutes) to rate(1 day); the recovery_point alarm's period (the module's `reconciler_schedule`)."
  type        = string
  default     = "rate(1 hour)"
}

variable "reconcile_lambda_timeout" {
  description = "Timeout of the reconciler function in seconds, 60 to 900 (the module's `reconciler_timeout`)."
  type        = number
  default     = 900
}

variable "per_source_recovery_point_metrics" {
  description = "Also publish each source's recovery point age: one custom metric per source, about $0.30 a month each (400 sources, about $120 a month)."
  type        = bool
  default     = false
}

variable "drill_max_age_days" {
  description = "Days after which the drill_age alarm fires when no restore drill has passed (`rds-snapshot-copy drill --publish-metric`) or none is on record; null, no check (see the module's `drill_max_age_days`)."
  type        = number
  default     = null
}

variable "log_retention_in_days" {
  description = "Retention of the functions' log groups in days."
  type        = number
  default     = 30
}

variable "alarm_sns_topic_arn" {
  description = "SNS topic in the source region that the alarms notify; null creates alarms without actions."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
