locals {
  alarm_actions = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]

  # The module's alarms other than the functions' errors alarms (modules/function), by purpose: the key is
  # the alarm_arns key, and with hyphens the end of the alarm's name (<name>-<key>). Period and evaluation
  # periods default to one five-minute period, datapoints_to_alarm to all of them.
  alarms = merge(
    {
      queue_oldest_message_age = {
        description         = "Snapshot events of ${var.name} have waited longer than expected for a copy slot or a retry."
        namespace           = "AWS/SQS"
        metric_name         = "ApproximateAgeOfOldestMessage"
        dimensions          = { QueueName = aws_sqs_queue.this.name }
        statistic           = "Maximum"
        comparison_operator = "GreaterThanThreshold"
        threshold           = var.queue_age_alarm_threshold_seconds
        treat_missing_data  = "notBreaching"
      }

      dead_letter_queue_depth = {
        description         = "Snapshots of ${var.name} were not copied; the dead-letter messages carry the reason."
        namespace           = "AWS/SQS"
        metric_name         = "ApproximateNumberOfMessagesVisible"
        dimensions          = { QueueName = aws_sqs_queue.dead_letter.name }
        statistic           = "Maximum"
        comparison_operator = "GreaterThanOrEqualToThreshold"
        threshold           = 1
        treat_missing_data  = "notBreaching"
      }

      # Published by the function in Embedded Metric Format: alarms at the moment of dead-lettering,
      # not only while the message stays in the queue.
      dead_lettered = {
        description         = "The ${var.name} function dead-lettered a snapshot event it could not copy."
        namespace           = var.metric_namespace
        metric_name         = "DeadLettered"
        dimensions          = { FunctionName = module.copier.function_name }
        statistic           = "Sum"
        comparison_operator = "GreaterThanOrEqualToThreshold"
        threshold           = 1
        treat_missing_data  = "notBreaching"
      }

      scheduled_dead_letter_queue_depth = {
        description         = "A scheduled run of ${var.name}-prune or ${var.name}-reconcile failed (undeliverable, or failed after Lambda's retries); the message is the schedule's event, its rule names the function."
        namespace           = "AWS/SQS"
        metric_name         = "ApproximateNumberOfMessagesVisible"
        dimensions          = { QueueName = aws_sqs_queue.scheduled_dead_letter.name }
        statistic           = "Maximum"
        comparison_operator = "GreaterThanOrEqualToThreshold"
        threshold           = 1
        treat_missing_data  = "notBreaching"
      }

      # Published by the reconciler on each run: the sources whose newest available copy comes from a
      # snapshot older than rpo_hours, or that have none. One period is the schedule's interval, so each
      # holds one run. One late run is not an outage, two missing periods are: missing data is breaching,
      # because silence must never read as health, and the alarm fires when the reconciler stops running.
      # CloudWatch allows period x evaluation periods up to a day for periods under an hour and up to
      # seven days otherwise: at most 2 x 59 minutes, or 2 days (reconciler_schedule's validations).
      recovery_point = {
        description         = "A source database or cluster of ${var.name} has no available copy in ${local.destination_region} from a snapshot younger than rpo_hours (${var.rpo_hours} h), or ${var.name}-reconcile, which measures it, has not reported for two runs. `rds-snapshot-copy status` names the sources."
        namespace           = var.metric_namespace
        metric_name         = "SourcesPastRpo"
        dimensions          = { FunctionName = module.reconciler.function_name }
        statistic           = "Maximum"
        period              = local.reconcile_interval_seconds
        evaluation_periods  = 2
        datapoints_to_alarm = 2
        comparison_operator = "GreaterThanOrEqualToThreshold"
        threshold           = 1
        treat_missing_data  = "breaching"
      }
    },
    # Published by the reconciler on each run when drill_max_age_days is set: the days since the last drill
    # that passed (9999 when none is on record). A CloudWatch alarm cannot look back far enough to watch the
    # drills' own metric, published perhaps once a quarter. One period is one run. Missing data is not
    # breaching: a stopped reconciler is the recovery_point alarm's to report, and a failed read is logged.
    var.drill_max_age_days == null ? {} : {
      drill_age = {
        description         = "No restore drill of ${var.name} has passed in the last ${var.drill_max_age_days} days (drill_max_age_days), or none is on record: run `rds-snapshot-copy drill --all --source-region ${local.source_region} --destination-region ${local.destination_region} --publish-metric`."
        namespace           = var.metric_namespace
        metric_name         = "DaysSinceLastDrill"
        dimensions          = { FunctionName = module.reconciler.function_name }
        statistic           = "Maximum"
        period              = local.reconcile_interval_seconds
        evaluation_periods  = 1
        comparison_operator = "GreaterThanThreshold"
        threshold           = var.drill_max_age_days
        treat_missing_data  = "notBreaching"
      }
    },
    # Headroom under the destination's manual snapshot quotas, one per snapshot kind of the catalogue
    # (manual_snapshot_quota_db, manual_snapshot_quota_cluster): the pruner publishes the share in use on
    # each run, daily by default, so one day is the period; no run, no data, no alarm (the errors alarm and
    # the scheduled dead-letter queue say why). Past the quota, copies are dead-lettered with
    # ManualSnapshotQuotaExceeded.
    {
      for kind, spec in local.snapshot_kinds : "manual_snapshot_quota_${kind}" => {
        description         = "Manual ${spec.description}s in ${local.destination_region} use ${var.quota_alarm_threshold_percent}% or more of the account's quota; past it the copies of ${var.name} fail. Lower retention_days or keep_last, delete old snapshots, or raise the quota."
        namespace           = var.metric_namespace
        metric_name         = "ManualSnapshotQuotaUsedPercent"
        dimensions          = { FunctionName = module.pruner.function_name, SnapshotKind = kind }
        statistic           = "Maximum"
        period              = 86400
        evaluation_periods  = 1
        comparison_operator = "GreaterThanOrEqualToThreshold"
        threshold           = var.quota_alarm_threshold_percent
        treat_missing_data  = "notBreaching"
      }
    },
  )
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms
  provider = aws.source

  alarm_name          = "${var.name}-${replace(each.key, "_", "-")}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric_name
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = try(each.value.period, 300)
  evaluation_periods  = try(each.value.evaluation_periods, 1)
  datapoints_to_alarm = try(each.value.datapoints_to_alarm, null)
  comparison_operator = each.value.comparison_operator
  threshold           = each.value.threshold
  treat_missing_data  = each.value.treat_missing_data
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}
