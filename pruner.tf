# The pruner: deletes this deployment's copies in the destination region once they are older than
# retention_days and no other rule keeps them (the keep_last newest of each source, the calendar tiers,
# the minimum-retention lock: compliance.tf), and publishes how full the destination's
# manual snapshot quotas are (alarms.tf). An EventBridge schedule in the source region invokes it;
# what fails there, or in Lambda's retries of the invocation, lands in the scheduled dead-letter queue,
# which the reconciler's schedule shares (sqs.tf).
locals {
  pruner_environment = merge(
    {
      SOURCE_REGION      = local.source_region
      DESTINATION_REGION = local.destination_region
      KEEP_LAST          = tostring(var.keep_last)
      DRY_RUN            = tostring(local.pruner_dry_run)
      METRIC_NAMESPACE   = var.metric_namespace
    },
    local.deployment_environment,
    # Absent means pruning is off: the function then only publishes the quota metrics.
    var.retention_days == null ? {} : { RETENTION_DAYS = tostring(var.retention_days) },
    # The calendar tiers and the minimum-retention lock: each absent when not set (compliance.tf).
    { for name, value in local.retention_settings : name => tostring(value) if value != null },
  )
}

module "pruner" {
  source = "./modules/function"

  providers = {
    aws = aws.source
  }

  name        = "${var.name}-prune"
  description = "Deletes copies of ${local.source_region} snapshots in ${local.destination_region} past their retention; measures the manual snapshot quotas"
  handler     = "prune_snapshots.lambda_handler"

  package_path = local.lambda_package_path
  package_hash = local.lambda_package_hash

  architecture = var.lambda_architecture
  memory_size  = 256
  timeout      = local.pruner_timeout
  environment  = local.pruner_environment

  role_name        = "${var.name}-pruner"
  role_description = "Lets the ${var.name}-prune function delete the ${var.name} copies in ${local.destination_region} and read the RDS quotas there"
  account_id       = local.account_id
  policy_json      = data.aws_iam_policy_document.pruner.json

  # The schedule invokes it asynchronously: Lambda retries a failed run twice, then sends the event to the
  # scheduled dead-letter queue (the module grants the role sqs:SendMessage on it).
  dead_letter_target_arn       = local.scheduled_dead_letter_queue_arn
  async_maximum_retry_attempts = 2

  # What EventBridge cannot deliver goes to the same queue, after an hour of retries (the module's default:
  # a missed run is made up by the next one). Its ARN as a string: the queue's policy names the rule, so
  # the rule (one input with this ARN) cannot wait for the queue.
  schedule = {
    expression      = local.pruner_schedule
    rule_name       = "${var.name}-prune-schedule"
    description     = "Runs ${var.name}-prune, which deletes expired copies in ${local.destination_region} and measures the quotas"
    statement_id    = "AllowPruneSchedule"
    dead_letter_arn = local.scheduled_dead_letter_queue_arn
  }

  log_retention_in_days = var.log_retention_in_days
  logs_kms_key_arn      = var.cloudwatch_logs_kms_key_arn

  errors_alarm_description = "The ${var.name}-prune function failed; expired copies stay until its next run, and the quota metrics are not updated."
  alarm_actions            = local.alarm_actions

  tags = var.tags
}
