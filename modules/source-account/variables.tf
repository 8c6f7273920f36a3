# ---- The deployment ----

variable "name" {
  description = "The source side's name in this account: the function and log group (`name`), its queues (`name-events`, `name-dlq`), the rules (`name-snapshot-created`, `name-cleanup`), the share key's alias (`alias/name`), and the role `name-<region>` (IAM is global; a vault's source_share_role_name must be this name). It is also the share copies' identity: they carry it in their `snapshot_copy_deployment` tag, and the function deletes only share copies (`share-*`) that carry it. At most 47 characters."
  type        = string
  default     = "rds-snapshot-share"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*[a-z0-9]$", var.name))
    error_message = "name \"${var.name}\" must start with a lowercase letter, use only lowercase letters, digits and hyphens, and not end with a hyphen."
  }

  # The rule <name>-snapshot-created has 17 characters more, and EventBridge allows 64; the role
  # <name>-<region> at most 15 more (IAM: 64).
  validation {
    condition     = length(var.name) <= 47
    error_message = "name \"${var.name}\" has ${length(var.name)} characters; at most 47 are allowed: the EventBridge rule <name>-snapshot-created would have ${length(var.name) + 17}, and AWS allows 64."
  }
}

variable "vaults" {
  description = "The vaults this source shares with: each the `backup_account` output of a root module deployment in a backup account (account_id, source_region, destination_region, queue_url, queue_arn, reader_role_arn, copier_role_arn, deployment_name). Every vault must copy from this provider's region. One backup account may hold several vaults (two destination regions, say); RDS shares a snapshot with at most 20 accounts, so the vaults may be in at most 20 accounts; and the function's environment (Lambda: 4 KB) holds about 8 vaults of a source deployment."
  type = list(object({
    account_id         = string
    source_region      = string
    destination_region = string
    queue_url          = string
    queue_arn          = string
    reader_role_arn    = string
    copier_role_arn    = string
    deployment_name    = string
  }))
  nullable = false

  validation {
    condition     = length(var.vaults) >= 1
    error_message = "vaults must name at least one vault: the `backup_account` output of the vault's deployment (the root module with source_account_ids or source_organization_id)."
  }

  # RDS: "You can share a manual snapshot with up to 20 other AWS accounts."
  validation {
    condition     = length(distinct([for vault in var.vaults : vault.account_id])) <= 20
    error_message = "vaults are in ${length(distinct([for vault in var.vaults : vault.account_id]))} accounts; RDS shares a snapshot with at most 20 accounts, so at most 20 vault accounts are possible."
  }

  validation {
    condition     = alltrue([for vault in var.vaults : can(regex("^[0-9]{12}$", vault.account_id))])
    error_message = "Every vault's account_id must be a 12-digit AWS account ID; these are not: ${join(", ", [for vault in var.vaults : jsonencode(vault.account_id) if !can(regex("^[0-9]{12}$", vault.account_id))])}."
  }

  # The ARNs must be of the vault's own account: the function sends to the queue, assumes the reader role,
  # and the share key lets the copier role use it; any other account would be handed the snapshots.
  validation {
    condition = alltrue([
      for vault in var.vaults :
      can(regex("^arn:aws[a-z-]*:sqs:[a-z0-9-]+:${vault.account_id}:[A-Za-z0-9_-]{1,80}$", vault.queue_arn)) &&
      can(regex("^arn:aws[a-z-]*:iam::${vault.account_id}:role/[\\w+=,.@/-]+$", vault.reader_role_arn)) &&
      can(regex("^arn:aws[a-z-]*:iam::${vault.account_id}:role/[\\w+=,.@/-]+$", vault.copier_role_arn)) &&
      can(regex("^https?://[^/]+/${vault.account_id}/[A-Za-z0-9_-]{1,80}$", vault.queue_url))
    ])
    error_message = "Every vault's queue_arn, queue_url, reader_role_arn and copier_role_arn must be of its own account_id (pass the vault's backup_account output as it is); these vaults are not: ${join(", ", [for vault in var.vaults : "${vault.account_id}/${vault.destination_region}" if !(can(regex("^arn:aws[a-z-]*:sqs:[a-z0-9-]+:${vault.account_id}:[A-Za-z0-9_-]{1,80}$", vault.queue_arn)) && can(regex("^arn:aws[a-z-]*:iam::${vault.account_id}:role/[\\w+=,.@/-]+$", vault.reader_role_arn)) && can(regex("^arn:aws[a-z-]*:iam::${vault.account_id}:role/[\\w+=,.@/-]+$", vault.copier_role_arn)) && can(regex("^https?://[^/]+/${vault.account_id}/[A-Za-z0-9_-]{1,80}$", vault.queue_url)))])}."
  }

  validation {
    condition     = length(distinct([for vault in var.vaults : vault.queue_arn])) == length(var.vaults)
    error_message = "vaults names a vault twice (the same queue_arn): each snapshot would be announced to it twice."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

# ---- The function package ----

variable "lambda_package_path" {
  description = "Optional: path of a prebuilt zip of the repository's `lambda/` directory (`rds-snapshot-copy package`); give lambda_package_hash with it. Null (the default): the module zips `lambda/` itself."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_package_path == null || try(endswith(var.lambda_package_path, ".zip"), false)
    error_message = "lambda_package_path must name a .zip file, not ${jsonencode(var.lambda_package_path)}."
  }
}

variable "lambda_package_hash" {
  description = "Base64-encoded SHA-256 of the zip at lambda_package_path; both or neither."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_package_hash == null || can(regex("^[A-Za-z0-9+/]{43}=$", var.lambda_package_hash))
    error_message = "lambda_package_hash must be a base64-encoded SHA-256 (44 characters ending in '=')."
  }

  validation {
    condition     = (var.lambda_package_hash == null) == (var.lambda_package_path == null)
    error_message = "lambda_package_path and lambda_package_hash go together: give both or neither; only ${var.lambda_package_path == null ? "lambda_package_hash" : "lambda_package_path"} is set."
  }
}

# ---- What is shared ----

variable "enabled_event_ids" {
  description = "RDS event IDs whose snapshots are shared, as the vault's snapshot_event_ids: RDS-EVENT-0042 (manual DB), RDS-EVENT-0091 (automated DB), RDS-EVENT-0075 (manual cluster), RDS-EVENT-0169 (automated cluster). The rule always matches the two manual ones too: a share copy's own created event is how the function learns that the copy is ready to share."
  type        = list(string)
  default     = ["RDS-EVENT-0042", "RDS-EVENT-0075", "RDS-EVENT-0091", "RDS-EVENT-0169"]
  nullable    = false

  validation {
    condition     = length(var.enabled_event_ids) > 0
    error_message = "enabled_event_ids must name at least one event ID."
  }

  validation {
    condition = alltrue([
      for id in var.enabled_event_ids : contains(flatten([
        for spec in values(jsondecode(file("${path.module}/../../lambda/snapshot_copy/snapshot_kinds.json"))) : keys(spec.created_events)
      ]), id)
    ])
    error_message = "Every enabled_event_ids entry must be a snapshot-created event of lambda/snapshot_copy/snapshot_kinds.json (RDS-EVENT-0042, RDS-EVENT-0075, RDS-EVENT-0091, RDS-EVENT-0169)."
  }
}

variable "source_filter" {
  description = "Which databases and clusters are shared, as the vault's source_filter: `include_identifiers` / `exclude_identifiers` (glob patterns on the instance or cluster identifier), `include_tags` / `exclude_tags` (tags of the database or cluster, a key mapped to the values that match; [] any value). The default `{}` shares all. Tag filters let the role read the sources' tags. Passed as the JSON environment variable SOURCE_FILTER."
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
    error_message = "source_filter.include_identifiers and exclude_identifiers must hold non-empty glob patterns."
  }

  # VAULTS takes most of the function's 4 KB of environment.
  validation {
    condition     = length(jsonencode(var.source_filter)) <= 1024
    error_message = "source_filter is ${length(jsonencode(var.source_filter))} characters as JSON; at most 1024 fit in the function's environment next to VAULTS."
  }
}

variable "shareable_kms_key_arns" {
  description = "Customer-managed keys (this region) whose key policies, the platform team says, let the vaults' copier roles use them through RDS: a manual snapshot under one of these is shared as it is. A manual snapshot under another key, under aws/rds, or any automated snapshot gets a share copy under the share key first; an unencrypted manual snapshot is shared as it is."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.shareable_kms_key_arns : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", arn))])
    error_message = "Every shareable_kms_key_arns entry must be the ARN of a KMS key, not an alias: a snapshot names its key by the key's ARN."
  }
}

# ---- The share key ----

variable "share_key_deletion_window_in_days" {
  description = "Waiting period, in days, before the share key is deleted once a destroy schedules its deletion. Only share copies use it, and the vaults copy them with their own keys, so nothing the vaults hold depends on it."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.share_key_deletion_window_in_days >= 7 && var.share_key_deletion_window_in_days <= 30
    error_message = "share_key_deletion_window_in_days must be between 7 and 30 (KMS's range), not ${var.share_key_deletion_window_in_days}."
  }
}

# ---- Clean-up ----

variable "cleanup_schedule" {
  description = "When the clean-up runs: an EventBridge schedule expression, rate(...) or cron(...). Each run removes the vault accounts from the shares whose copies every vault holds available, deletes those share copies, shares the share copies a crash left unshared, and gives up on shares older than share_timeout_days."
  type        = string
  default     = "rate(1 hour)"
  nullable    = false

  validation {
    condition     = can(regex("^(rate|cron)\\(.+\\)$", var.cleanup_schedule))
    error_message = "cleanup_schedule ${jsonencode(var.cleanup_schedule)} is not an EventBridge schedule expression: write rate(...) or cron(...), e.g. \"rate(1 hour)\"."
  }
}

variable "share_timeout_days" {
  description = "Days a share may wait for every vault's available copy: past it the clean-up publishes ShareTimedOut, logs the share, removes the vault accounts from it and deletes the share copy. 1 to 35 whole days."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = var.share_timeout_days >= 1 && var.share_timeout_days <= 35 && floor(var.share_timeout_days) == var.share_timeout_days
    error_message = "share_timeout_days must be a whole number of days from 1 to 35, not ${var.share_timeout_days}."
  }
}

# ---- The function ----

variable "timeout" {
  description = "Timeout of the function in seconds; a clean-up run assumes each vault's reader role and describes one copy per share."
  type        = number
  default     = 300
  nullable    = false

  validation {
    condition     = var.timeout >= 30 && var.timeout <= 900
    error_message = "timeout must be between 30 and 900 seconds, not ${var.timeout}."
  }
}

variable "lambda_architecture" {
  description = "Instruction set of the function: arm64 (cheaper) or x86_64."
  type        = string
  default     = "arm64"
  nullable    = false

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be arm64 or x86_64."
  }
}

variable "log_retention_in_days" {
  description = "Retention of the function's log group in days (0 keeps logs forever)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be one of CloudWatch Logs' values: 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "metric_namespace" {
  description = "CloudWatch namespace of the function's metrics (Shared, ShareCopiesStarted, UnshareableSnapshots, SharesRemoved, ShareCopiesDeleted, ShareTimedOut, Failed, MissedEventsCaughtUp), published as Embedded Metric Format logs."
  type        = string
  default     = "RdsSnapshotCopy"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9._#/-][A-Za-z0-9 ._#/-]{0,254}$", var.metric_namespace)) && !startswith(var.metric_namespace, "AWS/")
    error_message = "metric_namespace must be 1-255 letters, digits, spaces or . - _ / #, and must not start with \"AWS/\"."
  }
}

variable "alarm_sns_topic_arn" {
  description = "SNS topic (this region) that the function's errors alarm notifies on ALARM and OK; null creates the alarm without actions."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_.-]+$", var.alarm_sns_topic_arn))
    error_message = "alarm_sns_topic_arn must be the ARN of an SNS topic."
  }
}
