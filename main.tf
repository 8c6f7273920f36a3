provider "aws" {
  alias  = "source"
  region = var.source_region
}

provider "aws" {
  alias  = "destination"
  region = var.destination_region
}

data "archive_file" "lambda" {
  type        = "zip"
  source_dir  = "${path.module}/lambda"
  output_path = "${path.module}/build/lambda.zip"
  # The same files as the project's packager (src/rds_snapshot_copy/package.py, directory_sources):
  # everything under lambda/, symlinks followed (snapshot_kinds.json is one), except directories named
  # __pycache__, anything whose name starts with "." (so .pytest_cache, .mypy_cache, .ruff_cache too) and
  # *.pyc / *.pyo. Glob patterns of archive >= 2.4, matched against the path relative to lambda/, where
  # "**/" also matches the top level. ".?*" rather than ".*", which would match ".", the top of the walk
  # itself, and so exclude everything.
  excludes = [
    "**/__pycache__/**",
    "**/.?*",
    "**/*.pyc",
    "**/*.pyo",
  ]
}

module "rds_snapshot_copy" {
  source = "./modules/rds-snapshot-copy"

  providers = {
    aws.source      = aws.source
    aws.destination = aws.destination
  }

  name                = var.name
  lambda_package_path = data.archive_file.lambda.output_path
  lambda_package_hash = data.archive_file.lambda.output_base64sha256

  snapshot_event_ids  = var.snapshot_event_ids
  kms_key_arn         = var.kms_key_arn
  source_kms_key_arns = var.source_kms_key_arns
  option_group_name   = var.option_group_name

  # The created key survives a destroy unless this is false (see the variable).
  kms_key_prevent_destroy = var.kms_key_prevent_destroy

  max_db_copies_in_progress      = var.max_db_copies_in_progress
  max_cluster_copies_in_progress = var.max_cluster_copies_in_progress
  copy_wait_max_hours            = var.copy_wait_max_hours
  source_filter                  = var.source_filter

  # The pruner: retention of the copies in the destination, and the quota alarms.
  retention_days                = var.retention_days
  keep_last                     = var.keep_last
  prune_schedule                = var.prune_schedule
  prune_dry_run                 = var.prune_dry_run
  prune_lambda_timeout          = var.prune_lambda_timeout
  quota_alarm_threshold_percent = var.quota_alarm_threshold_percent

  # The reconciler: enqueues the snapshots whose event never came, and watches the recovery point.
  rpo_hours                         = var.rpo_hours
  reconcile_grace_minutes           = var.reconcile_grace_minutes
  reconcile_schedule                = var.reconcile_schedule
  reconcile_lambda_timeout          = var.reconcile_lambda_timeout
  per_source_recovery_point_metrics = var.per_source_recovery_point_metrics
  drill_max_age_days                = var.drill_max_age_days

  log_retention_in_days = var.log_retention_in_days
  alarm_sns_topic_arn   = var.alarm_sns_topic_arn

  tags = var.tags
}
