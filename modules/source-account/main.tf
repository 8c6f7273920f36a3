# The source side of the backup-account mode, in one source account and region: RDS's snapshot-created events
# go through a queue to the share function (lambda/share_snapshot.py), which makes each selected snapshot
# shareable (as it is, or through a share copy under the share key, kms.tf), shares it with the vault
# accounts and puts RDS's own event for it on each vault's queue; a schedule runs its clean-up. The role's
# permissions are in iam.tf. It uses the caller's default `aws` provider: one module call per account and
# region (README.md: for_each over accounts, or a pipeline per account).
data "aws_region" "this" {}

data "aws_caller_identity" "this" {}

data "aws_partition" "this" {}

locals {
  region     = data.aws_region.this.name
  account_id = data.aws_caller_identity.this.account_id
  partition  = data.aws_partition.this.partition

  # The catalogues the functions read too: snapshot kinds and their events, the copies' tag names.
  snapshot_kinds = jsondecode(file("${path.module}/../../lambda/snapshot_copy/snapshot_kinds.json"))
  copy_tags      = jsondecode(file("${path.module}/../../lambda/snapshot_copy/copy_tags.json"))

  snapshot_created_events = merge([
    for kind, spec in local.snapshot_kinds : {
      for id, event in spec.created_events : id => {
        kind          = kind
        detail_type   = spec.detail_type
        snapshot_type = event.snapshot_type
      }
    }
  ]...)
  enabled_event_ids = sort(distinct(var.enabled_event_ids))
  # The rule matches the enabled events and, always, the manual ones: a share copy is a manual snapshot, and
  # its own created event tells the function it is ready to share (ENABLED_EVENT_IDS says which originals).
  rule_event_ids = sort(distinct(concat(local.enabled_event_ids, [
    for id, event in local.snapshot_created_events : id if event.snapshot_type == "manual"
  ])))
  rule_detail_types = sort(distinct([for id in local.rule_event_ids : local.snapshot_created_events[id].detail_type]))

  role_name = "${var.name}-${local.region}"

  queue_arn             = "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${var.name}-events"
  dead_letter_queue_arn = "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${var.name}-dlq"
  # The clean-up schedule's rule (module.function's), by name: the dead-letter queue's policy names it without
  # waiting for the function, so the queues need not wait for the vaults' (on the emulator ~25 s a queue).
  cleanup_rule_arn = "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${var.name}-cleanup"

  vault_accounts = sort(distinct([for vault in var.vaults : vault.account_id]))
  # What the function needs of each vault (sharing/config.py): the backup_account output but the queue's ARN
  # (the policy's) and the source region (checked above).
  vaults_json = jsonencode([
    for vault in var.vaults : { for key, value in vault : key => value if !contains(["source_region", "queue_arn"], key) }
  ])

  # lambda/snapshot_copy/sharing/config.py reads these.
  environment = {
    DEPLOYMENT_NAME        = var.name
    SOURCE_REGION          = local.region
    VAULTS                 = local.vaults_json
    SHARE_KMS_KEY_ID       = aws_kms_key.share.arn
    SHAREABLE_KMS_KEY_ARNS = join(",", var.shareable_kms_key_arns)
    ENABLED_EVENT_IDS      = join(",", local.enabled_event_ids)
    SHARE_TIMEOUT_DAYS     = tostring(var.share_timeout_days)
    METRIC_NAMESPACE       = var.metric_namespace
    SOURCE_FILTER          = jsonencode(var.source_filter)
    # Where the function dead-letters what it cannot handle, with the reason as message attributes.
    DEAD_LETTER_QUEUE_URL = aws_sqs_queue.dead_letter.url
  }
}

# The package: the repository's lambda/ (the share function's entry file and the snapshot_copy package), zipped
# here as the root module's package.tf does, unless a prebuilt one is given. One file per deployment.
data "archive_file" "lambda" {
  count = var.lambda_package_path == null ? 1 : 0

  type        = "zip"
  source_dir  = "${path.module}/../../lambda"
  output_path = "${path.module}/build/${var.name}-${local.account_id}-${local.region}.zip"
  # The same files as the project's packager (src/rds_snapshot_copy/package.py), as package.tf.
  excludes = [
    "**/__pycache__/**",
    "**/.?*",
    "**/*.pyc",
    "**/*.pyo",
  ]
}

locals {
  lambda_package_path = var.lambda_package_path != null ? var.lambda_package_path : data.archive_file.lambda[0].output_path
  lambda_package_hash = var.lambda_package_path != null ? var.lambda_package_hash : data.archive_file.lambda[0].output_base64sha256
}

module "function" {
  source = "../function"

  name        = var.name
  description = "Shares the RDS snapshots of ${local.region} with the backup accounts ${join(", ", local.vault_accounts)}"
  handler     = "share_snapshot.lambda_handler"

  package_path = local.lambda_package_path
  package_hash = local.lambda_package_hash

  architecture = var.lambda_architecture
  memory_size  = 256
  timeout      = var.timeout
  environment  = local.environment

  role_name        = local.role_name
  role_description = "Lets the ${var.name} function share the RDS snapshots of ${local.region} with the backup accounts, and nothing else"
  account_id       = local.account_id
  policy_json      = data.aws_iam_policy_document.share.json

  # The schedule's failed runs (after Lambda's two retries) and what the function dead-letters itself.
  dead_letter_target_arn       = local.dead_letter_queue_arn
  async_maximum_retry_attempts = 2

  schedule = {
    expression      = var.cleanup_schedule
    rule_name       = "${var.name}-cleanup" # local.cleanup_rule_arn names it
    description     = "Runs the ${var.name} clean-up: removes the shares the vaults hold copies of, and their share copies"
    statement_id    = "AllowCleanupSchedule"
    dead_letter_arn = local.dead_letter_queue_arn
  }

  log_retention_in_days = var.log_retention_in_days

  errors_alarm_description = "The ${var.name} function failed; its events are retried and may end in ${var.name}-dlq."
  alarm_actions            = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]

  tags = var.tags
}

# ---- The events: RDS's snapshot-created events of this region, through a queue ----

resource "aws_cloudwatch_event_rule" "snapshot_created" {
  name        = "${var.name}-snapshot-created"
  description = "RDS snapshot-created events that ${var.name} shares with the backup accounts"

  event_pattern = jsonencode({
    source        = ["aws.rds"]
    "detail-type" = local.rule_detail_types
    detail = {
      EventID = local.rule_event_ids
    }
  })

  tags = var.tags

  # What the vaults and keys must be for this region and account, checked here at plan time (on a managed
  # resource: a data source's check on the vaults' values would defer its reading until they are known).
  lifecycle {
    # A vault copies from one source region (its aws.source provider's); a share with a vault of another
    # region would never be copied.
    precondition {
      condition     = alltrue([for vault in var.vaults : vault.source_region == local.region])
      error_message = "These vaults copy from another region than this provider's ${local.region}, so they would never copy what is shared with them: ${join(", ", [for vault in var.vaults : "${vault.account_id}/${vault.deployment_name} (source_region ${vault.source_region})" if vault.source_region != local.region])}. Give each source region its own module call with the vaults of that region."
    }

    precondition {
      condition     = alltrue([for vault in var.vaults : vault.destination_region != local.region])
      error_message = "A vault's destination_region is this region ${local.region}; vaults make cross-region copies."
    }

    # The account the snapshots are in cannot be its own vault: nothing would be out of reach of its admins.
    precondition {
      condition     = !contains([for vault in var.vaults : vault.account_id], local.account_id)
      error_message = "The vaults must be in other accounts than this source account ${local.account_id}: a vault in the account whose snapshots it keeps protects nothing against that account's admins."
    }

    # Lambda allows 4 KB of environment variables in all; VAULTS is most of the function's, about 330
    # characters a vault, so some 8 vaults fit next to the rest.
    precondition {
      condition     = length(local.vaults_json) <= 2800
      error_message = "vaults take ${length(local.vaults_json)} characters as the function's VAULTS environment variable; at most 2800 fit (Lambda allows 4 KB of environment in all): fewer vaults per source deployment (a second module call with another name takes the rest), or shorter vault names."
    }

    # A shareable key is a key of this region: a snapshot here is encrypted with one.
    precondition {
      condition     = alltrue([for arn in var.shareable_kms_key_arns : try(split(":", arn)[3], local.region) == local.region])
      error_message = "shareable_kms_key_arns must be keys of this region ${local.region}, where the snapshots are; these are not: ${join(", ", [for arn in var.shareable_kms_key_arns : arn if try(split(":", arn)[3], local.region) != local.region])}."
    }
  }
}

resource "aws_cloudwatch_event_target" "snapshot_created" {
  rule      = aws_cloudwatch_event_rule.snapshot_created.name
  target_id = "${var.name}-events"
  arn       = aws_sqs_queue.events.arn

  # The longest EventBridge allows: a lost event is a snapshot never shared (until the vault's reconciler
  # reports it missing).
  retry_policy {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = 185
  }

  dead_letter_config {
    arn = aws_sqs_queue.dead_letter.arn
  }
}

resource "aws_sqs_queue" "events" {
  name                      = "${var.name}-events"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 1209600
  # AWS's advice for SQS event sources: six times the function's timeout.
  visibility_timeout_seconds = 6 * var.timeout

  # A message whose handling crashed five times: the function reports lasting failures itself, with the
  # reason, so this is the backstop.
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letter.arn
    maxReceiveCount     = 5
  })
  policy = data.aws_iam_policy_document.queue["events"].json

  tags = var.tags
}

resource "aws_sqs_queue" "dead_letter" {
  name                      = "${var.name}-dlq"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 1209600
  policy                    = data.aws_iam_policy_document.queue["dead_letter"].json
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [local.queue_arn]
  })

  tags = var.tags
}

# EventBridge may send for this module's rules only: the events queue for the snapshot rule, the dead-letter
# queue for both rules' undeliverable events. The function sends with its role (modules/function's DeadLetter).
data "aws_iam_policy_document" "queue" {
  for_each = {
    events      = { arn = local.queue_arn, rules = [aws_cloudwatch_event_rule.snapshot_created.arn] }
    dead_letter = { arn = local.dead_letter_queue_arn, rules = [aws_cloudwatch_event_rule.snapshot_created.arn, local.cleanup_rule_arn] }
  }

  statement {
    sid       = "EventBridgeRuleSendMessage"
    actions   = ["sqs:SendMessage"]
    resources = [each.value.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = each.value.rules
    }
  }
}

resource "aws_lambda_event_source_mapping" "events" {
  event_source_arn                   = aws_sqs_queue.events.arn
  function_name                      = module.function.function_arn
  batch_size                         = 10
  maximum_batching_window_in_seconds = 10
  # The function reports the messages to retry; the rest of the batch is deleted.
  function_response_types = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = 2
  }

  tags = var.tags
}
