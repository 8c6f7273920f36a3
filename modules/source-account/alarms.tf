# What must never pass unseen on the source side: an event that ended in the dead-letter queue (a share
# copy held back by the account's manual snapshot quota past its retries, say), a snapshot RDS will not let
# anyone share (TDE, a permanent option: it needs another way out of the account), and a share no vault
# copied in time. The function's own errors alarm is modules/function's.
locals {
  alarms = {
    dead_letter_queue_depth = {
      description = "Snapshot events of ${var.name} were not shared with the vaults; the dead-letter messages carry the reason (redrive them once it is fixed)."
      namespace   = "AWS/SQS"
      metric_name = "ApproximateNumberOfMessagesVisible"
      dimensions  = { QueueName = aws_sqs_queue.dead_letter.name }
      statistic   = "Maximum"
    }
    unshareable_snapshots = {
      description = "${var.name} met snapshots RDS will not share (TDE or a permanent option): they reach no vault; the function's log says which and why."
      namespace   = var.metric_namespace
      metric_name = "UnshareableSnapshots"
      dimensions  = { FunctionName = module.function.function_name }
      statistic   = "Sum"
    }
    share_timed_out = {
      description = "A snapshot ${var.name} shared was not copied by every vault within share_timeout_days; it was unshared: check the vaults' dead-letter queues."
      namespace   = var.metric_namespace
      metric_name = "ShareTimedOut"
      dimensions  = { FunctionName = module.function.function_name }
      statistic   = "Sum"
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name}-${replace(each.key, "_", "-")}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric_name
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
  ok_actions          = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
  tags                = var.tags
}
