# Copies every new RDS and Aurora snapshot of `source_region` to `destination_region`, encrypted there
# with a KMS key the module creates. Copy this directory into your own stack and point the module's
# `source` at a released version of the module. It is also the repository's root stack of 0.4.x, moved
# here: its variables, tfvars and outputs are the same, and so are the module's addresses
# (module.rds_snapshot_copy.*), so a stack applied from the root plans no move.

provider "aws" {
  alias  = "source"
  region = var.source_region
}

provider "aws" {
  alias  = "destination"
  region = var.destination_region
}

module "rds_snapshot_copy" {
  # The repository's root. In your stack:
  #   source = "git::https://github.com/OWNER/terraform-aws-rds-snapshot-copy.git?ref=<release tag>"
  source = "../../"

  providers = {
    aws.source      = aws.source
    aws.destination = aws.destination
  }

  name = var.name

  # The module zips its own lambda/ (hashicorp/archive); a pipeline that builds once passes the zip of
  # `rds-snapshot-copy package --output build/lambda.zip` and the hash it prints instead. Null: not passed.
  lambda_package_path = var.lambda_package_path
  lambda_package_hash = var.lambda_package_hash

  # All four snapshot-created events by default: manual and automated, DB instances and Aurora clusters.
  snapshot_event_ids = var.snapshot_event_ids

  # The key the copies are encrypted with: created (and protected from destroy, see variables.tf) unless
  # kms_key_arn names one; the customer-managed keys of encrypted sources; an option group for TDE.
  kms_key_arn             = var.kms_key_arn
  kms_key_prevent_destroy = var.kms_key_prevent_destroy
  source_kms_key_arns     = var.source_kms_key_arns
  option_group_name       = var.option_group_name

  # Only these may disable the key, schedule its deletion or change its policy (the key's guard).
  key_admin_principal_arns = var.key_admin_principal_arns

  # Copy slots per region, and how long an event may wait for one before it is dead-lettered with its reason.
  max_db_copies_in_progress      = var.max_db_copies_in_progress
  max_cluster_copies_in_progress = var.max_cluster_copies_in_progress
  copy_wait_max_hours            = var.copy_wait_max_hours

  # Which databases and clusters are copied (all by default).
  source_filter = var.source_filter

  # Copies older than retention_days are deleted daily unless a rule keeps them: the keep_last newest of each
  # source, the calendar tiers (keep_daily ... keep_yearly), the lock (min_retention_days);
  # the quota alarms warn before the destination's manual snapshot quotas are full.
  retention_days                = var.retention_days
  keep_last                     = var.keep_last
  keep_daily                    = var.keep_daily
  keep_weekly                   = var.keep_weekly
  keep_monthly                  = var.keep_monthly
  keep_yearly                   = var.keep_yearly
  min_retention_days            = var.min_retention_days
  pruner_schedule               = var.prune_schedule
  pruner_dry_run                = var.prune_dry_run
  pruner_timeout                = var.prune_lambda_timeout
  quota_alarm_threshold_percent = var.quota_alarm_threshold_percent

  # Hourly, the reconciler enqueues the snapshots whose event never came (RDS delivers events on a
  # best-effort basis) and counts the sources whose newest available copy is older than rpo_hours; the
  # recovery_point alarm fires at one, and when the reconciler stops running.
  rpo_hours                         = var.rpo_hours
  reconciler_grace_minutes          = var.reconcile_grace_minutes
  reconciler_schedule               = var.reconcile_schedule
  reconciler_timeout                = var.reconcile_lambda_timeout
  per_source_recovery_point_metrics = var.per_source_recovery_point_metrics
  # With a limit, the drill_age alarm fires when no restore drill (`rds-snapshot-copy drill --publish-metric`)
  # has passed in that many days; null, no check.
  drill_max_age_days = var.drill_max_age_days

  log_retention_in_days = var.log_retention_in_days
  alarm_sns_topic_arn   = var.alarm_sns_topic_arn

  tags = var.tags
}
