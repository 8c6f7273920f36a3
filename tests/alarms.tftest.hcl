# Mocked providers (tests/mocks): no credentials or network; fixed ARNs where the tests need them.
# The functions' errors alarms are modules/function's (function.tftest.hcl); here, how the module sets them up.
# The pruner's alarms in detail (scheduled dead-letter queue, quota headroom): pruner.tftest.hcl; the
# recovery point alarm: reconciler.tftest.hcl.
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

variables {
  # terraform test destroys what it applied; the protected key would refuse.
  kms_key_prevent_destroy = false
}

run "alarms_without_topic" {
  command = apply

  assert {
    condition = toset([for alarm in aws_cloudwatch_metric_alarm.this : alarm.alarm_name]) == toset([
      "rds-snapshot-copy-queue-oldest-message-age", "rds-snapshot-copy-dead-letter-queue-depth", "rds-snapshot-copy-dead-lettered",
      "rds-snapshot-copy-scheduled-dead-letter-queue-depth", "rds-snapshot-copy-manual-snapshot-quota-db", "rds-snapshot-copy-manual-snapshot-quota-cluster",
      "rds-snapshot-copy-recovery-point",
      ]) && module.copier.errors_alarm_name == "rds-snapshot-copy-function-errors" && (
      module.pruner.errors_alarm_name == "rds-snapshot-copy-prune-function-errors"
      ) && (
      module.reconciler.errors_alarm_name == "rds-snapshot-copy-reconcile-function-errors"
    )
    error_message = "The alarms must keep their names: ${jsonencode([for alarm in aws_cloudwatch_metric_alarm.this : alarm.alarm_name])}"
  }

  assert {
    condition = alltrue([
      for purpose, alarm in aws_cloudwatch_metric_alarm.this :
      length(alarm.alarm_actions) == 0 && length(alarm.ok_actions) == 0 && (
        purpose == "recovery_point" || (
          alarm.treat_missing_data == "notBreaching" && alarm.evaluation_periods == 1 && alarm.datapoints_to_alarm == null &&
          alarm.period == (startswith(purpose, "manual_snapshot_quota_") ? 86400 : 300)
        )
      )
    ])
    error_message = "Without a topic the alarms have no actions, and missing data is not breaching; one period, five minutes (one day for the quota alarms, pruner.tftest.hcl). The recovery point alarm is the exception (reconciler.tftest.hcl)."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.this["queue_oldest_message_age"].namespace == "AWS/SQS" &&
      aws_cloudwatch_metric_alarm.this["queue_oldest_message_age"].metric_name == "ApproximateAgeOfOldestMessage" &&
      aws_cloudwatch_metric_alarm.this["queue_oldest_message_age"].statistic == "Maximum" &&
      aws_cloudwatch_metric_alarm.this["queue_oldest_message_age"].dimensions == tomap({ QueueName = "rds-snapshot-copy-events" }) &&
      aws_cloudwatch_metric_alarm.this["queue_oldest_message_age"].comparison_operator == "GreaterThanThreshold" &&
      aws_cloudwatch_metric_alarm.this["queue_oldest_message_age"].threshold == 43200
    )
    error_message = "The queue-age alarm must watch the events queue against the threshold."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.this["dead_letter_queue_depth"].namespace == "AWS/SQS" &&
      aws_cloudwatch_metric_alarm.this["dead_letter_queue_depth"].metric_name == "ApproximateNumberOfMessagesVisible" &&
      aws_cloudwatch_metric_alarm.this["dead_letter_queue_depth"].statistic == "Maximum" &&
      aws_cloudwatch_metric_alarm.this["dead_letter_queue_depth"].dimensions == tomap({ QueueName = "rds-snapshot-copy-dlq" }) &&
      aws_cloudwatch_metric_alarm.this["dead_letter_queue_depth"].comparison_operator == "GreaterThanOrEqualToThreshold" &&
      aws_cloudwatch_metric_alarm.this["dead_letter_queue_depth"].threshold == 1
    )
    error_message = "The dead-letter alarm must fire on one visible message in the dead-letter queue."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.this["dead_lettered"].namespace == "RdsSnapshotCopy" &&
      aws_cloudwatch_metric_alarm.this["dead_lettered"].metric_name == "DeadLettered" &&
      aws_cloudwatch_metric_alarm.this["dead_lettered"].statistic == "Sum" &&
      aws_cloudwatch_metric_alarm.this["dead_lettered"].dimensions == tomap({ FunctionName = "rds-snapshot-copy" }) &&
      aws_cloudwatch_metric_alarm.this["dead_lettered"].comparison_operator == "GreaterThanOrEqualToThreshold" &&
      aws_cloudwatch_metric_alarm.this["dead_lettered"].threshold == 1
    )
    error_message = "The DeadLettered alarm must watch the function's own metric."
  }

  assert {
    condition = output.alarm_arns == tomap({
      function_errors                   = module.copier.errors_alarm_arn
      prune_function_errors             = module.pruner.errors_alarm_arn
      reconcile_function_errors         = module.reconciler.errors_alarm_arn
      queue_oldest_message_age          = aws_cloudwatch_metric_alarm.this["queue_oldest_message_age"].arn
      dead_letter_queue_depth           = aws_cloudwatch_metric_alarm.this["dead_letter_queue_depth"].arn
      dead_lettered                     = aws_cloudwatch_metric_alarm.this["dead_lettered"].arn
      scheduled_dead_letter_queue_depth = aws_cloudwatch_metric_alarm.this["scheduled_dead_letter_queue_depth"].arn
      manual_snapshot_quota_db          = aws_cloudwatch_metric_alarm.this["manual_snapshot_quota_db"].arn
      manual_snapshot_quota_cluster     = aws_cloudwatch_metric_alarm.this["manual_snapshot_quota_cluster"].arn
      recovery_point                    = aws_cloudwatch_metric_alarm.this["recovery_point"].arn
    })
    error_message = "alarm_arns must list the ten alarms by purpose."
  }
}

run "alarms_notify_topic" {
  command = apply

  variables {
    alarm_sns_topic_arn               = "arn:aws:sns:eu-west-1:111111111111:on-call"
    queue_age_alarm_threshold_seconds = 3600
    metric_namespace                  = "Backups"
  }

  assert {
    condition = alltrue([
      for alarm in aws_cloudwatch_metric_alarm.this :
      alarm.alarm_actions == toset(["arn:aws:sns:eu-west-1:111111111111:on-call"]) && alarm.ok_actions == toset(["arn:aws:sns:eu-west-1:111111111111:on-call"])
    ])
    error_message = "Every alarm must notify the topic on ALARM and OK."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.this["queue_oldest_message_age"].threshold == 3600 && aws_cloudwatch_metric_alarm.this["dead_lettered"].namespace == "Backups" &&
      aws_cloudwatch_metric_alarm.this["manual_snapshot_quota_db"].namespace == "Backups" && aws_cloudwatch_metric_alarm.this["manual_snapshot_quota_cluster"].namespace == "Backups"
    )
    error_message = "The threshold and namespace must follow the variables."
  }
}
