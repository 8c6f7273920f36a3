# Copies every new RDS and Aurora snapshot of `source_region` to `destination_region`, encrypted
# there with a KMS key the module creates. Copy this directory into your own stack and point the
# module's `source` at a released version of the module.

provider "aws" {
  alias  = "source"
  region = var.source_region
}

provider "aws" {
  alias  = "destination"
  region = var.destination_region
}

module "rds_snapshot_copy" {
  source = "../../modules/rds-snapshot-copy"

  providers = {
    aws.source      = aws.source
    aws.destination = aws.destination
  }

  name = var.name

  # The function package: the zip of the repository's lambda/ directory. Build it with
  #   rds-snapshot-copy package --output build/lambda.zip
  # which prints the path and the base64 SHA-256 to put in terraform.tfvars; or, in a stack that can
  # install hashicorp/archive, use a `data "archive_file"` of lambda/ and its `output_base64sha256`
  # (as the repository's root module does).
  lambda_package_path = var.lambda_package_path
  lambda_package_hash = var.lambda_package_hash

  # All four snapshot-created events: manual and automated, DB instances and Aurora clusters.
  snapshot_event_ids = [
    "RDS-EVENT-0042", # manual DB snapshot
    "RDS-EVENT-0091", # automated DB snapshot
    "RDS-EVENT-0075", # manual DB cluster snapshot
    "RDS-EVENT-0169", # automated DB cluster snapshot
  ]

  # Up to a week of waiting for a copy slot before an event is dead-lettered with its reason.
  copy_wait_max_hours = 168

  # Which databases and clusters are copied (all by default).
  source_filter = var.source_filter

  # Copies older than retention_days are deleted daily, the keep_last newest of each source always kept;
  # the quota alarms warn before the destination's manual snapshot quotas are full.
  retention_days                = var.retention_days
  keep_last                     = var.keep_last
  prune_schedule                = var.prune_schedule
  prune_dry_run                 = var.prune_dry_run
  prune_lambda_timeout          = var.prune_lambda_timeout
  quota_alarm_threshold_percent = var.quota_alarm_threshold_percent

  # Hourly, the reconciler enqueues the snapshots whose event never came (RDS delivers events on a
  # best-effort basis) and counts the sources whose newest available copy is older than rpo_hours; the
  # recovery_point alarm fires at one, and when the reconciler stops running.
  rpo_hours                         = var.rpo_hours
  reconcile_grace_minutes           = var.reconcile_grace_minutes
  reconcile_schedule                = var.reconcile_schedule
  reconcile_lambda_timeout          = var.reconcile_lambda_timeout
  per_source_recovery_point_metrics = var.per_source_recovery_point_metrics
  # With a limit, the drill_age alarm fires when no restore drill (`rds-snapshot-copy drill --publish-metric`)
  # has passed in that many days; null, no check.
  drill_max_age_days = var.drill_max_age_days

  # The created key is protected from destroy by default (variables.tf: how to remove the stack).
  kms_key_prevent_destroy = var.kms_key_prevent_destroy

  alarm_sns_topic_arn = var.alarm_sns_topic_arn

  tags = var.tags
}
