# The reconciler: RDS delivers its events on a best-effort basis, so on a schedule this function lists the
# snapshots of the selected sources in the source region and this deployment's copies in the destination,
# and puts an event shaped like RDS's own on the copier's queue for every available snapshot that has no
# copy yet (the queue's quota handling, deduplication and dead-letter path then apply unchanged). Each run
# also measures every source's recovery point and publishes the number past rpo_hours, which the
# recovery_point alarm watches (alarms.tf). Its schedule, like the pruner's, dead-letters failed runs into
# the scheduled dead-letter queue (sqs.tf).
locals {
  # The schedule's interval in seconds is the recovery_point alarm's period. The variable's validations
  # accept only rate(<n> minute|hour|day[s]), from 5 minutes to a day.
  reconcile_rate             = regex("^rate\\(([1-9][0-9]*) (minute|hour|day)s?\\)$", local.reconciler_schedule)
  reconcile_interval_seconds = tonumber(local.reconcile_rate[0]) * { minute = 60, hour = 3600, day = 86400 }[local.reconcile_rate[1]]

  reconciler_environment = merge({
    SOURCE_REGION      = local.source_region
    DESTINATION_REGION = local.destination_region
    COPY_QUEUE_URL     = aws_sqs_queue.this.url
    # Only source snapshots younger than the copies' retention are enqueued, so that nothing the pruner
    # deleted is copied again. With pruning off, 35 days: RDS keeps automated snapshots at most 35 days, so
    # every automated snapshot is still covered; older manual ones are the backfill's (any window).
    RETENTION_DAYS    = tostring(var.retention_days != null ? var.retention_days : 35)
    RPO_HOURS         = tostring(var.rpo_hours)
    ENABLED_EVENT_IDS = join(",", local.enabled_event_ids)
    SOURCE_FILTER     = local.source_filter_json
    REQUESTS_TABLE    = aws_dynamodb_table.copy_requests.name
    # A snapshot younger than this is left to its own event, which is usually on its way.
    GRACE_MINUTES = tostring(local.reconciler_grace_minutes)
    # A request is repeated only once the copier would have dead-lettered its message (copy_wait_max_hours)
    # and an hour has passed, so a message still waiting for a copy slot never gets a second one.
    REREQUEST_AFTER_HOURS = tostring(var.copy_wait_max_hours + 1)
    PER_SOURCE_METRICS    = tostring(var.per_source_recovery_point_metrics)
    METRIC_NAMESPACE      = var.metric_namespace
    },
    # `status`, `backfill` and `adopt --function` read the deployment's identity from this environment too.
    local.deployment_environment,
    # Set: each run reads the drills' LastDrillTimestamp back and publishes DaysSinceLastDrill, which the
    # drill_age alarm compares with the limit (alarms.tf). Unset: no check, and no call.
    var.drill_max_age_days == null ? {} : { DRILL_MAX_AGE_DAYS = tostring(var.drill_max_age_days) },
    # Backup-account mode (vault.tf): it watches the snapshots the source accounts share with the vault, per
    # account and database; absent in the single-account mode.
    local.vault_environment, # The pruner's rules, which this function does not apply: `status --function` reads them from here to show
    # the copies each source holds in steady state against the manual snapshot quota (sizing.py).
    { KEEP_LAST = tostring(var.keep_last) },
    var.retention_days == null ? {} : { PRUNE_RETENTION_DAYS = tostring(var.retention_days) },
    { for name, value in local.retention_settings : name => tostring(value) if value != null },
  )
}

module "reconciler" {
  source = "./modules/function"

  providers = {
    aws = aws.source
  }

  name        = "${var.name}-reconcile"
  description = "Enqueues ${local.source_region} snapshots whose copy in ${local.destination_region} is missing; measures each source's recovery point"
  handler     = "reconcile_snapshots.lambda_handler"

  package_path = local.lambda_package_path
  package_hash = local.lambda_package_hash

  architecture = var.lambda_architecture
  # A run holds every snapshot of both regions in memory (35 per source at RDS's longest retention), and
  # Lambda's CPU grows with memory.
  memory_size = 512
  timeout     = local.reconciler_timeout
  environment = local.reconciler_environment

  role_name        = "${var.name}-reconciler"
  role_description = "Lets the ${var.name}-reconcile function read the snapshots of ${local.source_region} and ${local.destination_region} and enqueue the missing copies"
  account_id       = local.account_id
  policy_json      = data.aws_iam_policy_document.reconciler.json

  # The schedule invokes it asynchronously: Lambda retries a failed run twice, then sends the event to the
  # scheduled dead-letter queue (the module grants the role sqs:SendMessage on it).
  dead_letter_target_arn       = local.scheduled_dead_letter_queue_arn
  async_maximum_retry_attempts = 2

  # Undeliverable schedule events go to the same queue, as the pruner's do (pruner.tf).
  schedule = {
    expression      = local.reconciler_schedule
    rule_name       = "${var.name}-reconcile"
    description     = "Runs ${var.name}-reconcile, which enqueues the snapshots without a copy in ${local.destination_region} and measures the recovery point"
    statement_id    = "AllowReconcileSchedule"
    dead_letter_arn = local.scheduled_dead_letter_queue_arn
  }

  log_retention_in_days = var.log_retention_in_days
  logs_kms_key_arn      = var.cloudwatch_logs_kms_key_arn

  errors_alarm_description = "The ${var.name}-reconcile function failed; snapshots whose event was missed are not enqueued, and the recovery point is not measured, until a run succeeds (the recovery_point alarm fires after two periods without one)."
  alarm_actions            = local.alarm_actions

  tags = var.tags
}
