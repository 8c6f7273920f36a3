# ---- The deployment ----

variable "name" {
  description = "Prefix of every name: the copier function and log group (`name`), queue (`name-events`), dead-letter queue (`name-dlq`), rule (`name-snapshot-created`), role (`name-copier`), key alias (`alias/name`), the pruner function (`name-prune`), its role (`name-pruner`), schedule (`name-prune-schedule`) and dead-letter queue (`name-scheduled-dlq`, shared with the reconciler), the reconciler function (`name-reconcile`), its role (`name-reconciler`) and schedule (`name-reconcile`), and the copy requests table (`name-copy-requests`). At most 47 characters, so that the rule's name stays within 64. It is also the deployment's identity: every copy carries it in its `snapshot_copy_deployment` tag, and the functions prune, count and restore only copies that carry it (with the copier's identifier); a renamed deployment no longer owns the copies made under the old name."
  type        = string
  default     = "rds-snapshot-copy"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*[a-z0-9]$", var.name))
    error_message = "name \"${var.name}\" must start with a lowercase letter, use only lowercase letters, digits and hyphens, and not end with a hyphen."
  }

  # The longest derived name is the EventBridge rule's, <name>-snapshot-created: 17 of its 64 characters.
  # The same bound keeps the other 64-character names in range: the functions <name>, <name>-prune and
  # <name>-reconcile, the rules' targets <name>-events, <name>-prune and <name>-reconcile, the schedule
  # rules <name>-prune-schedule (15) and <name>-reconcile (10), and the IAM roles (checked on their own
  # below). SQS queue names may have 80, DynamoDB table names (<name>-copy-requests) 255.
  validation {
    condition     = length(var.name) <= 47
    error_message = "name \"${var.name}\" has ${length(var.name)} characters; at most 47 are allowed: the EventBridge rule <name>-snapshot-created would have ${length(var.name) + 17}, and AWS allows 64 (as for the other names derived from it: the functions <name>, <name>-prune and <name>-reconcile, the schedule rules <name>-prune-schedule and <name>-reconcile, the rule targets and the IAM roles <name>-copier, <name>-pruner, <name>-reconciler)."
  }

  # IAM role names: <name>-copier, <name>-pruner and <name>-reconciler (the longest suffix, 11
  # characters); IAM allows 64 characters. Implied by the rule above today, checked on its own so it
  # stays right if the rule's name changes.
  validation {
    condition     = length("${var.name}-reconciler") <= 64
    error_message = "name \"${var.name}\" has ${length(var.name)} characters; the IAM role <name>-reconciler would have ${length(var.name) + 11}, and IAM allows 64 (the roles are <name>-copier, <name>-pruner and <name>-reconciler): name may have at most 53 characters."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

# ---- The function package ----

variable "lambda_package_path" {
  description = "Optional: path of a prebuilt zip of the `lambda/` directory (`rds-snapshot-copy package`), for pipelines that build once; give lambda_package_hash with it. Null (the default): the module zips its own `lambda/` (package.tf), so a stack needs no build step. A path relative to the stack (`build/lambda.zip`) is the same on every machine; an absolute one is stored in the state, and a checkout elsewhere then plans an in-place update of each function."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_package_path == null || try(endswith(var.lambda_package_path, ".zip"), false)
    error_message = "lambda_package_path must name a .zip file, not ${jsonencode(var.lambda_package_path)}."
  }
}

variable "lambda_package_hash" {
  description = "Base64-encoded SHA-256 of the zip at lambda_package_path (`rds-snapshot-copy package` prints it), so that a changed package is redeployed; both or neither."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_package_hash == null || can(regex("^[A-Za-z0-9+/]{43}=$", var.lambda_package_hash))
    error_message = "lambda_package_hash must be a base64-encoded SHA-256 (44 characters ending in '=')."
  }

  # One without the other would deploy a package whose changes Terraform cannot see, or no package at all.
  validation {
    condition     = (var.lambda_package_hash == null) == (var.lambda_package_path == null)
    error_message = "lambda_package_path and lambda_package_hash go together: give both (a prebuilt package) or neither (the module zips its own lambda/); only ${var.lambda_package_path == null ? "lambda_package_hash" : "lambda_package_path"} is set."
  }
}

variable "lambda_architecture" {
  description = "Instruction set of the functions (copier, pruner and reconciler): arm64 (cheaper) or x86_64."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be arm64 or x86_64."
  }
}

# ---- What is copied ----

variable "snapshot_event_ids" {
  description = "RDS event IDs whose snapshots are copied. Known IDs are the `created_events` of `lambda/snapshot_copy/snapshot_kinds.json`: RDS-EVENT-0042 (manual DB), RDS-EVENT-0091 (automated DB), RDS-EVENT-0075 (manual cluster), RDS-EVENT-0169 (automated cluster)."
  type        = list(string)
  default     = ["RDS-EVENT-0042", "RDS-EVENT-0075", "RDS-EVENT-0091", "RDS-EVENT-0169"]

  validation {
    condition     = length(var.snapshot_event_ids) > 0
    error_message = "snapshot_event_ids must name at least one event ID."
  }

  validation {
    condition = alltrue([
      for id in var.snapshot_event_ids : contains(flatten([
        for spec in values(jsondecode(file("${path.module}/lambda/snapshot_copy/snapshot_kinds.json"))) : keys(spec.created_events)
      ]), id)
    ])
    error_message = "Every snapshot_event_ids entry must be a snapshot-created event of lambda/snapshot_copy/snapshot_kinds.json (RDS-EVENT-0042, RDS-EVENT-0075, RDS-EVENT-0091, RDS-EVENT-0169)."
  }
}

variable "source_filter" {
  description = "Which databases and clusters the copier copies snapshots of, and the reconciler watches; the default `{}` copies all. `include_identifiers` / `exclude_identifiers`: glob patterns (`*`, `?`, `[...]`, case-sensitive) on the DB instance or DB cluster identifier. `include_tags` / `exclude_tags`: tags of the database or cluster itself (not of the snapshot), a key mapped to the values that match exactly; an empty list of values matches any value. A source is copied when it matches an include (if any is given) and no exclude. Tag filters make the copier and the reconciler read the source's tags (`rds:ListTagsForResource` on the source region's `db:*` and `cluster:*`). Passed to both functions as the JSON environment variable SOURCE_FILTER."
  type = object({
    include_identifiers = optional(list(string), [])
    exclude_identifiers = optional(list(string), [])
    include_tags        = optional(map(list(string)), {})
    exclude_tags        = optional(map(list(string)), {})
  })
  default  = {}
  nullable = false

  validation {
    condition = alltrue([
      for pattern in concat(var.source_filter.include_identifiers, var.source_filter.exclude_identifiers) : try(length(pattern) > 0, false)
    ])
    error_message = "source_filter.include_identifiers and exclude_identifiers must hold non-empty glob patterns (an empty pattern matches no identifier; leave the list empty instead)."
  }

  validation {
    condition = alltrue([
      for key in concat(keys(var.source_filter.include_tags), keys(var.source_filter.exclude_tags)) : length(key) > 0
      ]) && alltrue([
      for tag_values in concat(values(var.source_filter.include_tags), values(var.source_filter.exclude_tags)) : try(alltrue([for value in tag_values : value != null]), false)
    ])
    error_message = "source_filter.include_tags and exclude_tags must map non-empty tag keys to lists of values ([] for any value), without nulls."
  }

  # Lambda allows 4 KB of environment variables in all; the copier's and the reconciler's others take well
  # under 1 KB.
  validation {
    condition     = length(jsonencode(var.source_filter)) <= 3072
    error_message = "source_filter is ${length(jsonencode(var.source_filter))} characters as JSON; at most 3072 fit in the function's environment (Lambda allows 4 KB in all)."
  }
}

# ---- Encryption ----

variable "kms_key_arn" {
  description = "ARN of an existing KMS key in the destination region for the copies (a key of another region fails the plan). Its key policy must let the copier role (or IAM policies of the account) use kms:CreateGrant and kms:DescribeKey. Null creates a key with rotation and alias `alias/<name>`, protected from destroy unless kms_key_prevent_destroy is false."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be the ARN of a KMS key (arn:<partition>:kms:<region>:<account>:key/<id>), not an alias."
  }
}

variable "kms_key_prevent_destroy" {
  description = "Protects the key the module creates (kms_key_arn null) from deletion: every copy is encrypted with it, and once the key is deleted none of them can be restored. True by default: `terraform destroy` then stops at the key. To remove the stack safely, keep the key: `terraform state rm` the key and its alias (`module.<call>.aws_kms_key.this[0]` and `module.<call>.aws_kms_alias.this[0]`), then destroy; the copies stay restorable and the key stays billed, $1 a month. False creates the key without the protection, for throw-away stacks and tests: a destroy schedules it for deletion (kms_key_deletion_window_in_days). Switching an existing stack moves the key between two addresses, `aws_kms_key.this` (true) and `aws_kms_key.disposable` (false): `terraform state mv` it first. Otherwise the plan replaces the key: switching to false it refuses (the protected key cannot be destroyed); switching to true it goes ahead and schedules the old key, and with it the copies, for deletion."
  type        = bool
  default     = true
  nullable    = false
}

variable "kms_key_deletion_window_in_days" {
  description = "Waiting period, in days, before the key the module creates is deleted when a destroy schedules its deletion (only with kms_key_prevent_destroy false); until it ends the deletion can be cancelled (kms:CancelKeyDeletion) and the copies stay restorable."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_key_deletion_window_in_days >= 7 && var.kms_key_deletion_window_in_days <= 30
    error_message = "kms_key_deletion_window_in_days must be between 7 and 30."
  }
}

variable "key_admin_principal_arns" {
  description = "The key's guard: the IAM roles and users (ARNs, `arn:<partition>:iam::<account>:role/...` or `user/...`) that alone may schedule the deletion of, disable, or change the policy of the key the module creates (kms:ScheduleKeyDeletion, kms:DisableKey, kms:PutKeyPolicy); its key policy gives nobody else these three, not even a role with kms:* in its own policy (the account keeps every other action through IAM). Required when the module creates the key (kms_key_arn null): an empty list could lock everyone out of it. Terraform itself needs kms:PutKeyPolicy to change the key's policy on a later apply: list the role that deploys (the check key_admins warns when it is not listed; the key is then created past KMS's lockout safety check, and from then on only a listed admin can change the key's policy). Each principal must exist when the policy is set. They are also the break-glass principals of backup_protection_scp_json, which alone may do these three on the key, with kms_key_arn too. Not the account root (`:root`), which would hand the three back to every IAM policy of the account. docs/compliance.md."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.key_admin_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[\\w+=,.@/-]+$", arn))])
    error_message = "key_admin_principal_arns must hold ARNs of IAM roles or users (arn:<partition>:iam::<account>:role/<name> or user/<name>); these are not: ${join(", ", [for arn in var.key_admin_principal_arns : jsonencode(arn) if !can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[\\w+=,.@/-]+$", arn))])}. Not the account root: it would let every IAM policy of the account disable or delete the key again; not an assumed-role session ARN: name its role."
  }

  validation {
    condition     = var.kms_key_arn != null || length(var.key_admin_principal_arns) > 0
    error_message = "key_admin_principal_arns is empty, but the module creates the key (kms_key_arn is null): its key policy allows kms:ScheduleKeyDeletion, kms:DisableKey and kms:PutKeyPolicy only to the principals listed there, so an empty list could lock everyone out of the key: nobody could ever change its policy again. List at least one IAM role or user that exists, e.g. a break-glass role and the role Terraform deploys with."
  }
}

variable "source_kms_key_arns" {
  description = "Customer-managed KMS keys (source region) of encrypted source snapshots; the role may use kms:CreateGrant and kms:DescribeKey on them through RDS only. Snapshots encrypted with the AWS-managed aws/rds key need nothing here: its key policy already allows the account's principals through RDS."
  type        = list(string)
  default     = []

  validation {
    condition = alltrue([
      for arn in var.source_kms_key_arns : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", arn))
    ])
    error_message = "Every source_kms_key_arns entry must be the ARN of a KMS key, not an alias."
  }
}

# ---- Copier ----

variable "option_group_name" {
  description = "Option group for DB snapshot copies in the destination region (needed when the engine uses a persistent or permanent option such as TDE). Null copies without one."
  type        = string
  default     = null

  validation {
    condition     = var.option_group_name == null || can(regex("^[A-Za-z][A-Za-z0-9-]{0,254}$", var.option_group_name))
    error_message = "option_group_name must start with a letter and contain only letters, digits and hyphens (at most 255 characters)."
  }
}

variable "copier_memory_size" {
  description = "Memory of the copier function in MB; it only makes API calls. (The pruner has 256 MB, the reconciler 512 MB.)"
  type        = number
  default     = 256
  nullable    = false

  validation {
    condition     = coalesce(var.lambda_memory_size, var.copier_memory_size) >= 128 && coalesce(var.lambda_memory_size, var.copier_memory_size) <= 10240
    error_message = "${var.lambda_memory_size != null ? "lambda_memory_size" : "copier_memory_size"} must be between 128 and 10240 MB, not ${coalesce(var.lambda_memory_size, var.copier_memory_size)}."
  }
}

variable "copier_timeout" {
  description = "Timeout of the copier function in seconds. The queue's visibility timeout is six times this. Above about 10,000 snapshots of a kind in the destination, 180 or more: the copier lists them to count the copies in progress (docs/retention-and-sizing.md). (The pruner's: pruner_timeout, the reconciler's: reconciler_timeout.)"
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = coalesce(var.lambda_timeout, var.copier_timeout) >= 10 && coalesce(var.lambda_timeout, var.copier_timeout) <= 900
    error_message = "${var.lambda_timeout != null ? "lambda_timeout" : "copier_timeout"} must be between 10 and 900 seconds, not ${coalesce(var.lambda_timeout, var.copier_timeout)}."
  }
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency of the function; -1 leaves it unreserved. Unreserved by default because small accounts (concurrency quota 10) cannot reserve any; event_source_maximum_concurrency already bounds the queue's use."
  type        = number
  default     = -1

  validation {
    condition     = var.reserved_concurrent_executions >= -1
    error_message = "reserved_concurrent_executions must be -1 (unreserved) or a non-negative number."
  }
}

variable "event_source_maximum_concurrency" {
  description = "Most concurrent invocations the queue may start; low, because copies are limited per region anyway."
  type        = number
  default     = 2

  validation {
    condition     = var.event_source_maximum_concurrency >= 2 && var.event_source_maximum_concurrency <= 1000
    error_message = "event_source_maximum_concurrency must be between 2 and 1000."
  }
}

variable "batch_size" {
  description = "Most messages per invocation. Batches larger than 10 need maximum_batching_window_in_seconds of at least 1."
  type        = number
  default     = 10

  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 10000
    error_message = "batch_size must be between 1 and 10000."
  }

  validation {
    condition     = var.batch_size <= 10 || var.maximum_batching_window_in_seconds >= 1
    error_message = "A batch_size above 10 needs maximum_batching_window_in_seconds of at least 1."
  }
}

variable "maximum_batching_window_in_seconds" {
  description = "Longest time the queue gathers messages before invoking the function. 10 s delays a lone event's copy by at most that, and lets messages waiting for a copy slot come back in batches: in bench/burst, 28 instead of 157 API calls per copy."
  type        = number
  default     = 10

  validation {
    condition     = var.maximum_batching_window_in_seconds >= 0 && var.maximum_batching_window_in_seconds <= 300
    error_message = "maximum_batching_window_in_seconds must be between 0 and 300."
  }
}

variable "max_db_copies_in_progress" {
  description = "Most DB snapshot copies in progress into the destination region at once (AWS's limit is 20); further events wait in the queue."
  type        = number
  default     = 20

  validation {
    condition     = var.max_db_copies_in_progress >= 1 && var.max_db_copies_in_progress <= 100
    error_message = "max_db_copies_in_progress must be between 1 and 100."
  }
}

variable "max_cluster_copies_in_progress" {
  description = "Most DB cluster snapshot copies in progress into the destination region at once (AWS's limit is 5); further events wait in the queue."
  type        = number
  default     = 5

  validation {
    condition     = var.max_cluster_copies_in_progress >= 1 && var.max_cluster_copies_in_progress <= 100
    error_message = "max_cluster_copies_in_progress must be between 1 and 100."
  }
}

variable "copy_wait_max_hours" {
  description = "How long an event may wait for a copy slot or a retry before it is dead-lettered with its reason. Stays below the queues' 14-day retention. The reconciler enqueues a snapshot that is still without a copy again only one hour after this, so a snapshot waiting in the queue gets no second message."
  type        = number
  default     = 72

  validation {
    condition     = var.copy_wait_max_hours >= 1 && var.copy_wait_max_hours <= 312
    error_message = "copy_wait_max_hours must be between 1 and 312 (13 days, below the 14-day queue retention)."
  }
}

variable "wait_delay_max_seconds" {
  description = "Longest delay between two looks at a waiting message (the function backs off up to this with ChangeMessageVisibility)."
  type        = number
  default     = 900

  validation {
    condition     = var.wait_delay_max_seconds >= 60 && var.wait_delay_max_seconds <= 43200
    error_message = "wait_delay_max_seconds must be between 60 and 43200 (SQS's longest visibility timeout)."
  }
}

variable "max_error_tries" {
  description = "Tries for errors that may be transient but usually are not (access denied right after a deploy, unknown error codes) before the event is dead-lettered."
  type        = number
  default     = 3

  validation {
    condition     = var.max_error_tries >= 1 && var.max_error_tries <= 50
    error_message = "max_error_tries must be between 1 and 50."
  }
}

# ---- Pruner ----

variable "retention_days" {
  description = "Age in days, 1 to 36500, after which the pruner deletes this deployment's copies in the destination region (manual snapshots tagged with this deployment's name and source region and a source snapshot ARN, under the copier's own identifier), keeping the keep_last newest of each source. Null turns pruning off: the pruner then only publishes the manual snapshot quota metrics, and its role has no delete permission. The reconciler only enqueues source snapshots younger than this, so that it never copies again what the pruner deleted (35 days when null, the longest RDS keeps automated snapshots)."
  type        = number
  default     = 35

  validation {
    condition     = var.retention_days == null || try(var.retention_days >= 1 && floor(var.retention_days) == var.retention_days, false)
    error_message = "retention_days must be a whole number of days, at least 1, or null to turn pruning off."
  }

  # The functions' bound for every span in days (MAX_DAYS, lambda/snapshot_copy/config.py): a hundred years.
  # Past it their date arithmetic overflows, so a larger value would crash the pruner and the reconciler.
  validation {
    condition     = var.retention_days == null || try(var.retention_days <= 36500, false)
    error_message = "retention_days must be at most 36500 days (a hundred years, the functions' longest span), not ${coalesce(var.retention_days, "null")}; null turns pruning off."
  }
}

variable "keep_last" {
  description = "Copies of each source database or cluster the pruner always keeps, the newest ones, however old: 1 to 36500. At least 1: the newest copy must stay, because RDS copies a DB snapshot incrementally only while the previous copy of the same source, encrypted with the same key, is in the destination region; without it the next copy is a full one."
  type        = number
  default     = 3
  nullable    = false

  validation {
    condition     = var.keep_last >= 1 && floor(var.keep_last) == var.keep_last
    error_message = "keep_last must be a whole number, at least 1: the newest copy keeps the next copy incremental."
  }

  # The pruner's bound (prune_config.MAX_KEEP_LAST, config.MAX_DAYS): a daily copy for a hundred years.
  validation {
    condition     = var.keep_last <= 36500
    error_message = "keep_last must be at most 36500 (a daily copy for a hundred years, the pruner's bound), not ${var.keep_last}."
  }
}

variable "keep_daily" {
  description = "Calendar tier: the pruner also keeps the newest available copy of each source in each of the last N UTC days, the current one included, by the data's time, even past retention_days (a copy is kept if any rule keeps it; KEEP_DAILY). Null (the default): no such rule. A whole number from 1 to 36500. Refused at plan when retention_days is null (pruning off), and when it keeps nothing retention_days does not keep already: its oldest slot is younger than N days, so N must exceed retention_days."
  type        = number
  default     = null

  validation {
    condition     = var.keep_daily == null || try(var.keep_daily >= 1 && var.keep_daily <= 36500 && floor(var.keep_daily) == var.keep_daily, false)
    error_message = "keep_daily must be a whole number from 1 to 36500, or null for no day rule, not ${jsonencode(var.keep_daily)}; the maximum is 36500 (a hundred years of days, the pruner's bound)."
  }

  validation {
    condition     = var.keep_daily == null || var.retention_days != null
    error_message = "keep_daily = ${jsonencode(var.keep_daily)} is set, but retention_days is null, which turns pruning off: nothing is ever deleted, so keep_daily would decide nothing. Set retention_days (the tiers keep copies past it), or leave keep_daily null."
  }

  # A tier only keeps (a copy is kept if any rule keeps it), so one whose every slot is younger than
  # retention_days keeps nothing retention_days does not keep already: a mistake, refused with both settings.
  validation {
    condition     = try(var.keep_daily > var.retention_days, true)
    error_message = "keep_daily = ${jsonencode(var.keep_daily)} keeps nothing that retention_days = ${jsonencode(var.retention_days)} does not keep already: every copy younger than ${jsonencode(var.retention_days)} days stays, and the day rule's oldest slot is younger than ${try(tostring(var.keep_daily + 0), "?")} days. The tiers keep copies past retention_days: lower retention_days below ${try(tostring(var.keep_daily + 0), "?")} days, or leave keep_daily null."
  }
}

variable "keep_weekly" {
  description = "Calendar tier: the pruner also keeps the newest available copy of each source in each of the last N ISO weeks (Monday to Sunday, UTC), the current one included, by the data's time, even past retention_days (a copy is kept if any rule keeps it; KEEP_WEEKLY). Null (the default): no such rule. A whole number from 1 to 5215. Refused at plan when retention_days is null (pruning off), and when it keeps nothing retention_days does not keep already: its oldest slot is younger than 7 × N days, so 7 × N must exceed retention_days."
  type        = number
  default     = null

  validation {
    condition     = var.keep_weekly == null || try(var.keep_weekly >= 1 && var.keep_weekly <= 5215 && floor(var.keep_weekly) == var.keep_weekly, false)
    error_message = "keep_weekly must be a whole number from 1 to 5215, or null for no ISO week rule, not ${jsonencode(var.keep_weekly)}; the maximum is 5215 (a hundred years of weeks, the pruner's bound)."
  }

  validation {
    condition     = var.keep_weekly == null || var.retention_days != null
    error_message = "keep_weekly = ${jsonencode(var.keep_weekly)} is set, but retention_days is null, which turns pruning off: nothing is ever deleted, so keep_weekly would decide nothing. Set retention_days (the tiers keep copies past it), or leave keep_weekly null."
  }

  # A tier only keeps (a copy is kept if any rule keeps it), so one whose every slot is younger than
  # retention_days keeps nothing retention_days does not keep already: a mistake, refused with both settings.
  validation {
    condition     = try(var.keep_weekly * 7 > var.retention_days, true)
    error_message = "keep_weekly = ${jsonencode(var.keep_weekly)} keeps nothing that retention_days = ${jsonencode(var.retention_days)} does not keep already: every copy younger than ${jsonencode(var.retention_days)} days stays, and the ISO week rule's oldest slot is younger than ${try(tostring(var.keep_weekly * 7 + 0), "?")} days. The tiers keep copies past retention_days: lower retention_days below ${try(tostring(var.keep_weekly * 7 + 0), "?")} days, or leave keep_weekly null."
  }
}

variable "keep_monthly" {
  description = "Calendar tier: the pruner also keeps the newest available copy of each source in each of the last N calendar months (UTC), the current one included, by the data's time, even past retention_days (a copy is kept if any rule keeps it; KEEP_MONTHLY). Null (the default): no such rule. A whole number from 1 to 1200. Refused at plan when retention_days is null (pruning off), and when it keeps nothing retention_days does not keep already: its oldest slot is younger than 31 × N days, so 31 × N must exceed retention_days."
  type        = number
  default     = null

  validation {
    condition     = var.keep_monthly == null || try(var.keep_monthly >= 1 && var.keep_monthly <= 1200 && floor(var.keep_monthly) == var.keep_monthly, false)
    error_message = "keep_monthly must be a whole number from 1 to 1200, or null for no month rule, not ${jsonencode(var.keep_monthly)}; the maximum is 1200 (a hundred years of months, the pruner's bound)."
  }

  validation {
    condition     = var.keep_monthly == null || var.retention_days != null
    error_message = "keep_monthly = ${jsonencode(var.keep_monthly)} is set, but retention_days is null, which turns pruning off: nothing is ever deleted, so keep_monthly would decide nothing. Set retention_days (the tiers keep copies past it), or leave keep_monthly null."
  }

  # A tier only keeps (a copy is kept if any rule keeps it), so one whose every slot is younger than
  # retention_days keeps nothing retention_days does not keep already: a mistake, refused with both settings.
  validation {
    condition     = try(var.keep_monthly * 31 > var.retention_days, true)
    error_message = "keep_monthly = ${jsonencode(var.keep_monthly)} keeps nothing that retention_days = ${jsonencode(var.retention_days)} does not keep already: every copy younger than ${jsonencode(var.retention_days)} days stays, and the month rule's oldest slot is younger than ${try(tostring(var.keep_monthly * 31 + 0), "?")} days. The tiers keep copies past retention_days: lower retention_days below ${try(tostring(var.keep_monthly * 31 + 0), "?")} days, or leave keep_monthly null."
  }
}

variable "keep_yearly" {
  description = "Calendar tier: the pruner also keeps the newest available copy of each source in each of the last N calendar years (UTC), the current one included, by the data's time, even past retention_days (a copy is kept if any rule keeps it; KEEP_YEARLY). Null (the default): no such rule. A whole number from 1 to 100. Refused at plan when retention_days is null (pruning off), and when it keeps nothing retention_days does not keep already: its oldest slot is younger than 366 × N days, so 366 × N must exceed retention_days."
  type        = number
  default     = null

  validation {
    condition     = var.keep_yearly == null || try(var.keep_yearly >= 1 && var.keep_yearly <= 100 && floor(var.keep_yearly) == var.keep_yearly, false)
    error_message = "keep_yearly must be a whole number from 1 to 100, or null for no year rule, not ${jsonencode(var.keep_yearly)}; the maximum is 100 (a hundred years, the pruner's bound)."
  }

  validation {
    condition     = var.keep_yearly == null || var.retention_days != null
    error_message = "keep_yearly = ${jsonencode(var.keep_yearly)} is set, but retention_days is null, which turns pruning off: nothing is ever deleted, so keep_yearly would decide nothing. Set retention_days (the tiers keep copies past it), or leave keep_yearly null."
  }

  # A tier only keeps (a copy is kept if any rule keeps it), so one whose every slot is younger than
  # retention_days keeps nothing retention_days does not keep already: a mistake, refused with both settings.
  validation {
    condition     = try(var.keep_yearly * 366 > var.retention_days, true)
    error_message = "keep_yearly = ${jsonencode(var.keep_yearly)} keeps nothing that retention_days = ${jsonencode(var.retention_days)} does not keep already: every copy younger than ${jsonencode(var.retention_days)} days stays, and the year rule's oldest slot is younger than ${try(tostring(var.keep_yearly * 366 + 0), "?")} days. The tiers keep copies past retention_days: lower retention_days below ${try(tostring(var.keep_yearly * 366 + 0), "?")} days, or leave keep_yearly null."
  }
}

variable "min_retention_days" {
  description = "The minimum-retention lock, in days (1 to 36500): the pruner never deletes a copy whose data is younger than this, whatever the other rules say, in any state (MIN_RETENTION_DAYS); nothing else the module deploys deletes a copy but the copier's own failed ones. A retention_days below it is refused at plan. Against people the lock holds only with backup_protection_scp_json attached by the organization's management account: docs/compliance.md. Null (the default): no lock."
  type        = number
  default     = null

  validation {
    condition     = var.min_retention_days == null || try(var.min_retention_days >= 1 && var.min_retention_days <= 36500 && floor(var.min_retention_days) == var.min_retention_days, false)
    error_message = "min_retention_days must be a whole number of days from 1 to 36500 (a hundred years, the functions' longest span), or null for no lock, not ${jsonencode(var.min_retention_days)}."
  }

  # retention_days is the one rule that expires copies; the tiers and keep_last only keep.
  validation {
    condition     = try(var.retention_days >= var.min_retention_days, true)
    error_message = "retention_days = ${jsonencode(var.retention_days)} is below min_retention_days = ${jsonencode(var.min_retention_days)}: the lock keeps every copy for ${jsonencode(var.min_retention_days)} days, so a rule that expires copies after ${jsonencode(var.retention_days)} days contradicts it. Raise retention_days to at least ${jsonencode(var.min_retention_days)}, or lower min_retention_days."
  }
}

variable "pruner_schedule" {
  description = "When the pruner runs: an EventBridge schedule expression of the source region, `rate(...)` or `cron(...)` (UTC). It deletes expired copies and publishes the quota metrics the quota alarms watch (one-day period), so run it at least daily."
  type        = string
  default     = "rate(1 day)"
  nullable    = false

  validation {
    condition     = (startswith(coalesce(var.prune_schedule, var.pruner_schedule), "rate(") || startswith(coalesce(var.prune_schedule, var.pruner_schedule), "cron(")) && endswith(coalesce(var.prune_schedule, var.pruner_schedule), ")")
    error_message = "${var.prune_schedule != null ? "prune_schedule" : "pruner_schedule"} ${jsonencode(coalesce(var.prune_schedule, var.pruner_schedule))} is not an EventBridge schedule expression: write rate(...) or cron(...), e.g. \"rate(1 day)\" or \"cron(0 3 * * ? *)\"."
  }
}

variable "pruner_dry_run" {
  description = "The pruner logs what it would delete without deleting anything, for a first look at retention_days and keep_last; its role then has no delete permission at all."
  type        = bool
  default     = false
  nullable    = false
}

variable "pruner_timeout" {
  description = "Timeout of the pruner function in seconds; it lists the destination's manual snapshots and deletes the expired copies one by one."
  type        = number
  default     = 300
  nullable    = false

  validation {
    condition     = coalesce(var.prune_lambda_timeout, var.pruner_timeout) >= 10 && coalesce(var.prune_lambda_timeout, var.pruner_timeout) <= 900
    error_message = "${var.prune_lambda_timeout != null ? "prune_lambda_timeout" : "pruner_timeout"} must be between 10 and 900 seconds, not ${coalesce(var.prune_lambda_timeout, var.pruner_timeout)}."
  }
}

variable "quota_alarm_threshold_percent" {
  description = "Share of the destination region's manual snapshot quota (DB snapshots, and DB cluster snapshots, each against its own quota) at or above which a quota alarm fires; past the quota, copies fail with ManualSnapshotQuotaExceeded. The pruner measures it on each run."
  type        = number
  default     = 80

  validation {
    condition     = var.quota_alarm_threshold_percent >= 1 && var.quota_alarm_threshold_percent <= 100
    error_message = "quota_alarm_threshold_percent must be between 1 and 100."
  }
}

# ---- Reconciler ----

variable "rpo_hours" {
  description = "Recovery point objective, in hours (more than 0, at most 876000): a source database or cluster is past it when the source snapshot behind its newest available copy in the destination region is older than this, or when it has had no available copy for longer than this since it was created. The reconciler publishes the number of sources past it (SourcesPastRpo) on each run, and the recovery_point alarm fires at one. 26 by default: daily backups, with two hours for the snapshot and its copy."
  type        = number
  default     = 26
  nullable    = false

  validation {
    condition     = var.rpo_hours > 0
    error_message = "rpo_hours must be a positive number of hours (26 for daily backups), not ${var.rpo_hours}."
  }

  # The functions' bound for every span in hours (MAX_HOURS, lambda/snapshot_copy/config.py): a hundred
  # years. Past it the reconciler's date arithmetic overflows.
  validation {
    condition     = var.rpo_hours <= 876000
    error_message = "rpo_hours must be at most 876000 hours (a hundred years, the functions' longest span), not ${var.rpo_hours}."
  }
}

variable "reconciler_schedule" {
  description = "How often the reconciler runs: an EventBridge rate expression of the source region, from `rate(5 minutes)` to `rate(1 day)`, e.g. `rate(30 minutes)` or `rate(6 hours)`. Each run enqueues the snapshots whose event never came and measures the recovery point. rate() only, because the recovery_point alarm's period is this interval: two periods without a run set it off."
  type        = string
  default     = "rate(1 hour)"
  nullable    = false

  # EventBridge's syntax: a positive whole number, and the unit singular for 1 and plural otherwise.
  validation {
    condition = try(
      (regex("^rate\\(([1-9][0-9]*) (minute|hour|day)(s?)\\)$", coalesce(var.reconcile_schedule, var.reconciler_schedule))[0] == "1") == (regex("^rate\\(([1-9][0-9]*) (minute|hour|day)(s?)\\)$", coalesce(var.reconcile_schedule, var.reconciler_schedule))[2] == ""),
      false
    )
    error_message = "${var.reconcile_schedule != null ? "reconcile_schedule" : "reconciler_schedule"} ${jsonencode(coalesce(var.reconcile_schedule, var.reconciler_schedule))} is not an EventBridge rate expression: write rate(<n> <unit>), n a positive whole number and the unit minute, hour or day, singular for 1 and plural otherwise (\"rate(1 hour)\", \"rate(30 minutes)\"). cron() is not accepted: the recovery_point alarm's period is the schedule's interval."
  }

  # The recovery_point alarm's period is this interval (reconciler.tf), and it fires after two periods without
  # a run. A malformed expression is the validation above's to report.
  validation {
    condition = try(
      tonumber(regex("^rate\\(([1-9][0-9]*) (minute|hour|day)s?\\)$", coalesce(var.reconcile_schedule, var.reconciler_schedule))[0]) * { minute = 60, hour = 3600, day = 86400 }[regex("^rate\\(([1-9][0-9]*) (minute|hour|day)s?\\)$", coalesce(var.reconcile_schedule, var.reconciler_schedule))[1]] >= 300 &&
      tonumber(regex("^rate\\(([1-9][0-9]*) (minute|hour|day)s?\\)$", coalesce(var.reconcile_schedule, var.reconciler_schedule))[0]) * { minute = 60, hour = 3600, day = 86400 }[regex("^rate\\(([1-9][0-9]*) (minute|hour|day)s?\\)$", coalesce(var.reconcile_schedule, var.reconciler_schedule))[1]] <= 86400,
      true
    )
    error_message = "${var.reconcile_schedule != null ? "reconcile_schedule" : "reconciler_schedule"} ${jsonencode(coalesce(var.reconcile_schedule, var.reconciler_schedule))} runs the reconciler every ${try(tonumber(regex("^rate\\(([1-9][0-9]*) (minute|hour|day)s?\\)$", coalesce(var.reconcile_schedule, var.reconciler_schedule))[0]) * { minute = 60, hour = 3600, day = 86400 }[regex("^rate\\(([1-9][0-9]*) (minute|hour|day)s?\\)$", coalesce(var.reconcile_schedule, var.reconciler_schedule))[1]], "?")} seconds; it must run at least once a day and at most every 5 minutes (300 to 86400 seconds). The recovery_point alarm's period is this interval and it fires after two periods without a run, so a longer one would leave a stopped reconciler unnoticed for days; a shorter one would start runs before a large fleet's last run has finished."
  }
}

variable "reconciler_grace_minutes" {
  description = "Minutes a new source snapshot is left to its own RDS event before the reconciler enqueues it: the event is usually on its way, and enqueueing it too would only cost a duplicate message (the copier deduplicates). 0 enqueues every snapshot without a copy at once."
  type        = number
  default     = 15
  nullable    = false

  validation {
    condition     = coalesce(var.reconcile_grace_minutes, var.reconciler_grace_minutes) >= 0 && coalesce(var.reconcile_grace_minutes, var.reconciler_grace_minutes) <= 1440 && floor(coalesce(var.reconcile_grace_minutes, var.reconciler_grace_minutes)) == coalesce(var.reconcile_grace_minutes, var.reconciler_grace_minutes)
    error_message = "${var.reconcile_grace_minutes != null ? "reconcile_grace_minutes" : "reconciler_grace_minutes"} must be a whole number of minutes from 0 to 1440 (a day), not ${coalesce(var.reconcile_grace_minutes, var.reconciler_grace_minutes)}: a snapshot whose event was lost would wait that long for its copy."
  }
}

variable "reconciler_timeout" {
  description = "Timeout of the reconciler function in seconds. Each run lists the databases, clusters and snapshots of the source region and this deployment's copies in the destination; Lambda's maximum by default, so that a large fleet has room."
  type        = number
  default     = 900

  validation {
    condition     = coalesce(var.reconcile_lambda_timeout, var.reconciler_timeout) >= 60 && coalesce(var.reconcile_lambda_timeout, var.reconciler_timeout) <= 900
    error_message = "${var.reconcile_lambda_timeout != null ? "reconcile_lambda_timeout" : "reconciler_timeout"} must be between 60 and 900 seconds (Lambda's maximum), not ${coalesce(var.reconcile_lambda_timeout, var.reconciler_timeout)}: a run lists two regions' snapshots."
  }
}

variable "per_source_recovery_point_metrics" {
  description = "The reconciler also publishes each source's recovery point age (RecoveryPointAgeHours, dimensions FunctionName, SnapshotKind and SourceIdentifier), for a graph per database. It costs one custom metric per source database or cluster, about $0.30 a month each: 400 sources are about $120 a month. Off by default: the two fleet-wide metrics (RecoveryPointAgeWorstHours, SourcesPastRpo) and the recovery_point alarm need none of them, and `rds-snapshot-copy status` shows every source."
  type        = bool
  default     = false
  nullable    = false
}

variable "drill_max_age_days" {
  description = "Days after which the drill_age alarm fires: when the last restore drill that passed (`rds-snapshot-copy drill --publish-metric`, its LastDrillTimestamp in the destination region) is older than this, or none is on record. The reconciler reads that metric back on each run and publishes DaysSinceLastDrill (a CloudWatch alarm looks back at most seven days, so it cannot watch a quarterly drill's metric itself); its role gains cloudwatch:GetMetricData in the destination region. null (the default): no check, no alarm, no permission. 1 to 455 whole days (CloudWatch keeps the metric 455 days); 90 for a quarterly drill."
  type        = number
  default     = null

  validation {
    condition     = var.drill_max_age_days == null || try(var.drill_max_age_days >= 1 && var.drill_max_age_days <= 455 && floor(var.drill_max_age_days) == var.drill_max_age_days, false)
    error_message = "drill_max_age_days must be a whole number of days from 1 to 455 (CloudWatch keeps the drills' metric 455 days), or null for no check, not ${coalesce(var.drill_max_age_days, "null")}."
  }
}

# ---- Logs, metrics and alarms ----

variable "log_retention_in_days" {
  description = "Retention of the functions' log groups in days (0 keeps logs forever)."
  type        = number
  default     = 30

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be one of CloudWatch Logs' values: 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "cloudwatch_logs_kms_key_arn" {
  description = "KMS key (source region) to encrypt the functions' log groups with; its policy must allow the CloudWatch Logs service. Null uses CloudWatch Logs' own encryption."
  type        = string
  default     = null

  validation {
    condition     = var.cloudwatch_logs_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.cloudwatch_logs_kms_key_arn))
    error_message = "cloudwatch_logs_kms_key_arn must be the ARN of a KMS key."
  }
}

variable "metric_namespace" {
  description = "CloudWatch namespace of the functions' own metrics (the copier's DeadLettered, the pruner's ManualSnapshotQuotaUsedPercent and SnapshotsDeleted, the reconciler's SourcesPastRpo, RecoveryPointAgeWorstHours and SnapshotsEnqueued), published as Embedded Metric Format logs."
  type        = string
  default     = "RdsSnapshotCopy"

  validation {
    condition     = can(regex("^[A-Za-z0-9._#/-][A-Za-z0-9 ._#/-]{0,254}$", var.metric_namespace)) && !startswith(var.metric_namespace, "AWS/")
    error_message = "metric_namespace must be 1-255 letters, digits, spaces or . - _ / #, and must not start with \"AWS/\"."
  }
}

variable "alarm_sns_topic_arn" {
  description = "SNS topic that the alarms notify on ALARM and OK; it must be in the source region, where the alarms are (CloudWatch alarms only notify topics of their own region: another region fails the plan). Null creates the alarms without actions."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_.-]+$", var.alarm_sns_topic_arn))
    error_message = "alarm_sns_topic_arn must be the ARN of an SNS topic."
  }
}

variable "queue_age_alarm_threshold_seconds" {
  description = "Age of the oldest queued event, in seconds, above which the queue-age alarm fires."
  type        = number
  default     = 43200

  validation {
    condition     = var.queue_age_alarm_threshold_seconds >= 300 && var.queue_age_alarm_threshold_seconds <= 1209600
    error_message = "queue_age_alarm_threshold_seconds must be between 300 and 1209600."
  }
}

# ---- Deprecated names (0.5; removed in 0.6) ----
# The names before 0.5. Each still works: set, it is used instead of its new name, and the check
# deprecated_inputs (deprecated.tf) warns on every plan.

variable "lambda_memory_size" {
  description = "Deprecated: use copier_memory_size; removed in 0.6. While set, it wins over copier_memory_size (a warning names it)."
  type        = number
  default     = null
}

variable "lambda_timeout" {
  description = "Deprecated: use copier_timeout; removed in 0.6. While set, it wins over copier_timeout (a warning names it)."
  type        = number
  default     = null
}

variable "prune_schedule" {
  description = "Deprecated: use pruner_schedule; removed in 0.6. While set, it wins over pruner_schedule (a warning names it)."
  type        = string
  default     = null
}

variable "prune_dry_run" {
  description = "Deprecated: use pruner_dry_run; removed in 0.6. While set, it wins over pruner_dry_run (a warning names it)."
  type        = bool
  default     = null
}

variable "prune_lambda_timeout" {
  description = "Deprecated: use pruner_timeout; removed in 0.6. While set, it wins over pruner_timeout (a warning names it)."
  type        = number
  default     = null
}

variable "reconcile_schedule" {
  description = "Deprecated: use reconciler_schedule; removed in 0.6. While set, it wins over reconciler_schedule (a warning names it)."
  type        = string
  default     = null
}

variable "reconcile_grace_minutes" {
  description = "Deprecated: use reconciler_grace_minutes; removed in 0.6. While set, it wins over reconciler_grace_minutes (a warning names it)."
  type        = number
  default     = null
}

variable "reconcile_lambda_timeout" {
  description = "Deprecated: use reconciler_timeout; removed in 0.6. While set, it wins over reconciler_timeout (a warning names it)."
  type        = number
  default     = null
}

# ---- Backup account (vault) ----
# With source_account_ids or source_organization_id the module is a VAULT in a backup account: it copies the
# snapshots that source accounts share with it (modules/source-account, deployed in each source account and
# region) into the destination region, in one call each, with its own key. Neither set (the default): the
# single-account mode, exactly as before (docs/backup-account.md).

variable "source_account_ids" {
  description = "Backup-account mode: the source accounts (12-digit IDs) whose shared snapshots this vault copies. Each runs modules/source-account in the source region, whose role `<source_share_role_name>-<source region>` alone may send to the events queue and assume the vault's reader role. The copier copies only snapshots of these accounts (SOURCE_ACCOUNT_IDS) and may use only their keys through RDS. At most 25 (the copier's policy names each account; IAM allows 10,240 characters): more, or an organization, take source_organization_id. Empty (the default): single-account mode, the snapshots of this account only."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for id in var.source_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "source_account_ids must hold 12-digit AWS account IDs; these are not: ${join(", ", [for id in var.source_account_ids : jsonencode(id) if !can(regex("^[0-9]{12}$", id))])}."
  }

  validation {
    condition     = length(distinct(var.source_account_ids)) == length(var.source_account_ids)
    error_message = "source_account_ids names an account more than once: ${join(", ", distinct([for id in var.source_account_ids : id if length([for other in var.source_account_ids : other if other == id]) > 1]))}."
  }

  validation {
    condition     = length(var.source_account_ids) <= 25
    error_message = "source_account_ids lists ${length(var.source_account_ids)} accounts; at most 25 fit in the copier's IAM policy (each account's snapshots and keys are named; IAM allows 10,240 characters). For more accounts of one organization, give source_organization_id instead."
  }

  validation {
    condition     = length(var.source_account_ids) == 0 || var.source_organization_id == null
    error_message = "Give source_account_ids or source_organization_id, not both: with source_organization_id every account of the organization may share with the vault (the organization is the gate), so a list of accounts would be ignored."
  }
}

variable "source_organization_id" {
  description = "Backup-account mode for a whole AWS Organization: its ID (`o-` and 10 to 32 lowercase letters or digits). Any account of the organization whose role `<source_share_role_name>-<source region>` (modules/source-account) shares a snapshot is copied; the queue policy, the reader role's trust and the copier's policy require the organization (aws:PrincipalOrgID, aws:ResourceOrgID) instead of naming accounts. Null (the default): see source_account_ids."
  type        = string
  default     = null

  validation {
    condition     = var.source_organization_id == null || can(regex("^o-[a-z0-9]{10,32}$", var.source_organization_id))
    error_message = "source_organization_id must be an AWS Organizations ID, o- followed by 10 to 32 lowercase letters or digits (aws organizations describe-organization), not ${jsonencode(var.source_organization_id)}."
  }
}

variable "source_share_role_name" {
  description = "Backup-account mode: the name (without the region) of the source side's role in every source account, modules/source-account's `name`. The role is `<source_share_role_name>-<source region>`; only it may send to this vault's events queue and assume its reader role."
  type        = string
  default     = "rds-snapshot-share"
  nullable    = false

  # The role is <name>-<region>; the longest region names have 14 characters and IAM allows 64.
  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,49}$", var.source_share_role_name))
    error_message = "source_share_role_name must be 1-49 letters, digits or +=,.@_- (the source role is <source_share_role_name>-<source region>, at most 64 characters for IAM), not ${jsonencode(var.source_share_role_name)}."
  }
}

variable "option_group_map" {
  description = "Backup-account mode: for DB snapshots whose source uses a non-default option group, the destination's option group to use, by the source's option group name (`{ \"prod-oracle-og\" = \"vault-oracle-og\" }`). The copier copies the option group along (CopyOptionGroup) unless the map names one; a snapshot whose option group is neither mapped nor copyable is dead-lettered with a reason naming it. Passed to the copier as the JSON environment variable OPTION_GROUP_MAP; its role may name these option groups in the destination region."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition = alltrue([
      for source, destination in var.option_group_map :
      can(regex("^[A-Za-z][A-Za-z0-9-]{0,254}$", source)) && can(regex("^[A-Za-z][A-Za-z0-9-]{0,254}$", destination))
    ])
    error_message = "option_group_map must map option group names to option group names (a letter, then letters, digits and hyphens, at most 255 characters each)."
  }

  # Lambda allows 4 KB of environment variables in all; source_filter may take 3 KB of it.
  validation {
    condition     = length(jsonencode(var.option_group_map)) <= 1024
    error_message = "option_group_map is ${length(jsonencode(var.option_group_map))} characters as JSON; at most 1024 fit in the copier's environment (Lambda allows 4 KB in all)."
  }

  validation {
    condition     = length(var.option_group_map) == 0 || length(var.source_account_ids) > 0 || var.source_organization_id != null
    error_message = "option_group_map is for the backup-account mode (source_account_ids or source_organization_id): a single-account copy uses option_group_name."
  }
}
