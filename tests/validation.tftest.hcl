# Mocked providers (tests/mocks): no credentials or network; fixed ARNs where the tests need them.
mock_provider "aws" {
  alias  = "source"
  source = "./tests/mocks/source"
}

mock_provider "aws" {
  alias  = "destination"
  source = "./tests/mocks/destination"
}

mock_provider "archive" {
  source = "./tests/mocks/archive"
}

# The accepted edges of the ranges, so the validations below fail for the value and not by accident.
run "edge_values_accepted" {
  command = plan

  variables {
    name                               = "a234567890123456789012345678901234567890abcdef7"
    snapshot_event_ids                 = ["RDS-EVENT-0169"]
    kms_key_arn                        = "arn:aws:kms:eu-central-1:111111111111:key/99999999-8888-7777-6666-555555555555"
    kms_key_deletion_window_in_days    = 7
    source_kms_key_arns                = ["arn:aws-us-gov:kms:us-gov-west-1:111111111111:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"]
    option_group_name                  = "tde-copies"
    lambda_architecture                = "x86_64"
    copier_memory_size                 = 10240
    copier_timeout                     = 900
    reserved_concurrent_executions     = 0
    event_source_maximum_concurrency   = 1000
    batch_size                         = 10000
    maximum_batching_window_in_seconds = 300
    log_retention_in_days              = 0
    max_db_copies_in_progress          = 100
    max_cluster_copies_in_progress     = 1
    copy_wait_max_hours                = 312
    wait_delay_max_seconds             = 43200
    max_error_tries                    = 50
    alarm_sns_topic_arn                = "arn:aws:sns:eu-west-1:111111111111:on-call.fifo"
    queue_age_alarm_threshold_seconds  = 1209600
    metric_namespace                   = "Backups/Rds Copies"
    retention_days                     = 1
    keep_last                          = 1
    pruner_schedule                    = "cron(0 3 * * ? *)"
    pruner_dry_run                     = true
    pruner_timeout                     = 10
    quota_alarm_threshold_percent      = 100
    rpo_hours                          = 0.5
    reconciler_grace_minutes           = 1440
    reconciler_schedule                = "rate(1440 minutes)"
    reconciler_timeout                 = 60
    per_source_recovery_point_metrics  = true
    source_filter = {
      include_identifiers = ["orders-*"]
      exclude_identifiers = ["?"]
      include_tags        = { team = ["orders"] }
      exclude_tags        = { "copy-to-dr" = [], empty-value = [""] }
    }
  }

  assert {
    condition     = module.copier.function_name == var.name
    error_message = "A 47-character name must be accepted."
  }

  assert {
    condition     = module.reconciler.function_name == "${var.name}-reconcile" && length(module.reconciler.function_name) == 57
    error_message = "With a 47-character name the reconciler's name, <name>-reconcile, must stay within Lambda's 64."
  }
}

run "name_pattern" {
  command = plan

  variables {
    name = "Snapshot_Copy"
  }

  expect_failures = [var.name]
}

run "name_length" {
  command = plan

  variables {
    name = "a234567890123456789012345678901234567890abcdefgh"
  }

  expect_failures = [var.name]
}

run "package_not_zip" {
  command = plan

  variables {
    lambda_package_path = "build/lambda.tar.gz"
    lambda_package_hash = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
  }

  expect_failures = [var.lambda_package_path]
}

run "package_hash_not_sha256" {
  command = plan

  variables {
    lambda_package_path = "build/lambda.zip"
    lambda_package_hash = "d41d8cd98f00b204e9800998ecf8427e"
  }

  expect_failures = [var.lambda_package_hash]
}

run "event_ids_empty" {
  command = plan

  variables {
    snapshot_event_ids = []
  }

  expect_failures = [var.snapshot_event_ids]
}

run "event_ids_unknown" {
  command = plan

  variables {
    snapshot_event_ids = ["RDS-EVENT-0042", "RDS-EVENT-0001"]
  }

  expect_failures = [var.snapshot_event_ids]
}

run "kms_key_alias_rejected" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-central-1:111111111111:alias/copies"
  }

  expect_failures = [var.kms_key_arn]
}

run "kms_deletion_window" {
  command = plan

  variables {
    kms_key_deletion_window_in_days = 6
  }

  expect_failures = [var.kms_key_deletion_window_in_days]
}

run "source_kms_key_not_arn" {
  command = plan

  variables {
    source_kms_key_arns = ["11111111-2222-3333-4444-555555555555"]
  }

  expect_failures = [var.source_kms_key_arns]
}

run "option_group_name" {
  command = plan

  variables {
    option_group_name = "tde copies"
  }

  expect_failures = [var.option_group_name]
}

run "architecture" {
  command = plan

  variables {
    lambda_architecture = "arm32"
  }

  expect_failures = [var.lambda_architecture]
}

run "memory_size" {
  command = plan

  variables {
    copier_memory_size = 64
  }

  expect_failures = [var.copier_memory_size]
}

run "copier_timeout" {
  command = plan

  variables {
    copier_timeout = 5
  }

  expect_failures = [var.copier_timeout]
}

run "reserved_concurrency" {
  command = plan

  variables {
    reserved_concurrent_executions = -2
  }

  expect_failures = [var.reserved_concurrent_executions]
}

run "event_source_concurrency" {
  command = plan

  variables {
    event_source_maximum_concurrency = 1
  }

  expect_failures = [var.event_source_maximum_concurrency]
}

run "batch_size_range" {
  command = plan

  variables {
    batch_size = 10001
  }

  expect_failures = [var.batch_size]
}

run "batch_size_needs_window" {
  command = plan

  variables {
    batch_size                         = 11
    maximum_batching_window_in_seconds = 0
  }

  expect_failures = [var.batch_size]
}

run "batching_window" {
  command = plan

  variables {
    maximum_batching_window_in_seconds = 301
  }

  expect_failures = [var.maximum_batching_window_in_seconds]
}

run "log_retention" {
  command = plan

  variables {
    log_retention_in_days = 31
  }

  expect_failures = [var.log_retention_in_days]
}

run "cloudwatch_logs_kms_key" {
  command = plan

  variables {
    cloudwatch_logs_kms_key_arn = "alias/aws/logs"
  }

  expect_failures = [var.cloudwatch_logs_kms_key_arn]
}

run "max_db_copies" {
  command = plan

  variables {
    max_db_copies_in_progress = 0
  }

  expect_failures = [var.max_db_copies_in_progress]
}

run "max_cluster_copies" {
  command = plan

  variables {
    max_cluster_copies_in_progress = 101
  }

  expect_failures = [var.max_cluster_copies_in_progress]
}

run "copy_wait_max_hours" {
  command = plan

  variables {
    copy_wait_max_hours = 313
  }

  expect_failures = [var.copy_wait_max_hours]
}

run "wait_delay_max_seconds" {
  command = plan

  variables {
    wait_delay_max_seconds = 59
  }

  expect_failures = [var.wait_delay_max_seconds]
}

run "max_error_tries" {
  command = plan

  variables {
    max_error_tries = 51
  }

  expect_failures = [var.max_error_tries]
}

run "alarm_topic_not_sns" {
  command = plan

  variables {
    alarm_sns_topic_arn = "arn:aws:sqs:eu-west-1:111111111111:on-call"
  }

  expect_failures = [var.alarm_sns_topic_arn]
}

run "queue_age_threshold" {
  command = plan

  variables {
    queue_age_alarm_threshold_seconds = 299
  }

  expect_failures = [var.queue_age_alarm_threshold_seconds]
}

run "metric_namespace" {
  command = plan

  variables {
    metric_namespace = "AWS/Lambda"
  }

  expect_failures = [var.metric_namespace]
}

# The pruner and the source filter (pruner.tftest.hcl).
run "retention_days_below_one" {
  command = plan

  variables {
    retention_days = 0
  }

  expect_failures = [var.retention_days]
}

run "retention_days_fraction" {
  command = plan

  variables {
    retention_days = 1.5
  }

  expect_failures = [var.retention_days]
}

run "keep_last_zero" {
  command = plan

  variables {
    keep_last = 0
  }

  expect_failures = [var.keep_last]
}

run "prune_schedule_not_an_expression" {
  command = plan

  variables {
    pruner_schedule = "daily"
  }

  expect_failures = [var.pruner_schedule]
}

run "prune_schedule_unclosed" {
  command = plan

  variables {
    pruner_schedule = "rate(1 day"
  }

  expect_failures = [var.pruner_schedule]
}

run "pruner_timeout" {
  command = plan

  variables {
    pruner_timeout = 901
  }

  expect_failures = [var.pruner_timeout]
}

run "quota_alarm_threshold_zero" {
  command = plan

  variables {
    quota_alarm_threshold_percent = 0
  }

  expect_failures = [var.quota_alarm_threshold_percent]
}

run "quota_alarm_threshold_above_100" {
  command = plan

  variables {
    quota_alarm_threshold_percent = 101
  }

  expect_failures = [var.quota_alarm_threshold_percent]
}

run "source_filter_empty_include_pattern" {
  command = plan

  variables {
    source_filter = {
      include_identifiers = ["orders-*", ""]
    }
  }

  expect_failures = [var.source_filter]
}

run "source_filter_null_exclude_pattern" {
  command = plan

  variables {
    source_filter = {
      exclude_identifiers = [null]
    }
  }

  expect_failures = [var.source_filter]
}

run "source_filter_empty_tag_key" {
  command = plan

  variables {
    source_filter = {
      exclude_tags = { "" = ["x"] }
    }
  }

  expect_failures = [var.source_filter]
}

run "source_filter_null_tag_values" {
  command = plan

  variables {
    source_filter = {
      include_tags = { team = null }
    }
  }

  expect_failures = [var.source_filter]
}

run "source_filter_too_long" {
  command = plan

  variables {
    source_filter = {
      include_identifiers = [for i in range(300) : "database-${i}"]
    }
  }

  expect_failures = [var.source_filter]
}

# The reconciler (reconciler.tftest.hcl). reconciler_schedule: EventBridge rate() syntax, then 5 minutes to a day.
# cron() has no fixed interval for the alarm's period.
run "reconcile_schedule_cron" {
  command = plan

  variables {
    reconciler_schedule = "cron(0 * * * ? *)"
  }

  expect_failures = [var.reconciler_schedule]
}

run "reconcile_schedule_not_an_expression" {
  command = plan

  variables {
    reconciler_schedule = "hourly"
  }

  expect_failures = [var.reconciler_schedule]
}

# EventBridge wants the unit singular for 1.
run "reconcile_schedule_plural_for_one" {
  command = plan

  variables {
    reconciler_schedule = "rate(1 hours)"
  }

  expect_failures = [var.reconciler_schedule]
}

# and plural otherwise.
run "reconcile_schedule_singular_for_two" {
  command = plan

  variables {
    reconciler_schedule = "rate(2 hour)"
  }

  expect_failures = [var.reconciler_schedule]
}

run "reconcile_schedule_zero" {
  command = plan

  variables {
    reconciler_schedule = "rate(0 minutes)"
  }

  expect_failures = [var.reconciler_schedule]
}

run "reconcile_schedule_leading_zero" {
  command = plan

  variables {
    reconciler_schedule = "rate(05 minutes)"
  }

  expect_failures = [var.reconciler_schedule]
}

run "reconcile_schedule_unknown_unit" {
  command = plan

  variables {
    reconciler_schedule = "rate(1 week)"
  }

  expect_failures = [var.reconciler_schedule]
}

run "reconcile_schedule_seconds" {
  command = plan

  variables {
    reconciler_schedule = "rate(300 seconds)"
  }

  expect_failures = [var.reconciler_schedule]
}

run "reconcile_schedule_extra_space" {
  command = plan

  variables {
    reconciler_schedule = "rate( 1 hour)"
  }

  expect_failures = [var.reconciler_schedule]
}

run "reconcile_schedule_unclosed" {
  command = plan

  variables {
    reconciler_schedule = "rate(1 hour"
  }

  expect_failures = [var.reconciler_schedule]
}

# Under five minutes: runs of a large fleet could overlap.
run "reconcile_schedule_too_often" {
  command = plan

  variables {
    reconciler_schedule = "rate(4 minutes)"
  }

  expect_failures = [var.reconciler_schedule]
}

run "reconcile_schedule_one_minute" {
  command = plan

  variables {
    reconciler_schedule = "rate(1 minute)"
  }

  expect_failures = [var.reconciler_schedule]
}

# Over a day: a stopped reconciler would go unnoticed for days.
run "reconcile_schedule_too_rarely" {
  command = plan

  variables {
    reconciler_schedule = "rate(2 days)"
  }

  expect_failures = [var.reconciler_schedule]
}

run "reconcile_schedule_just_over_a_day" {
  command = plan

  variables {
    reconciler_schedule = "rate(1441 minutes)"
  }

  expect_failures = [var.reconciler_schedule]
}

run "reconcile_schedule_25_hours" {
  command = plan

  variables {
    reconciler_schedule = "rate(25 hours)"
  }

  expect_failures = [var.reconciler_schedule]
}

run "reconcile_grace_minutes_negative" {
  command = plan

  variables {
    reconciler_grace_minutes = -1
  }

  expect_failures = [var.reconciler_grace_minutes]
}

run "reconcile_grace_minutes_fraction" {
  command = plan

  variables {
    reconciler_grace_minutes = 2.5
  }

  expect_failures = [var.reconciler_grace_minutes]
}

run "reconcile_grace_minutes_over_a_day" {
  command = plan

  variables {
    reconciler_grace_minutes = 1441
  }

  expect_failures = [var.reconciler_grace_minutes]
}

run "rpo_hours_zero" {
  command = plan

  variables {
    rpo_hours = 0
  }

  expect_failures = [var.rpo_hours]
}

run "rpo_hours_negative" {
  command = plan

  variables {
    rpo_hours = -1
  }

  expect_failures = [var.rpo_hours]
}

run "reconcile_lambda_timeout_below_60" {
  command = plan

  variables {
    reconciler_timeout = 59
  }

  expect_failures = [var.reconciler_timeout]
}

run "reconcile_lambda_timeout_above_900" {
  command = plan

  variables {
    reconciler_timeout = 901
  }

  expect_failures = [var.reconciler_timeout]
}
