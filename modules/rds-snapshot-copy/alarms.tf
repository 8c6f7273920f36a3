locals {
  alarm_actions = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "function_errors" {
  provider = aws.source

  alarm_name        = "${var.name}-function-errors"
  alarm_description = "The ${var.name} function failed; its messages are retried and may end in the dead-letter queue."
  namespace         = "AWS/Lambda"
  metric_name       = "Errors"
  dimensions = {
    FunctionName = aws_lambda_function.this.function_name
  }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "queue_oldest_message_age" {
  provider = aws.source

  alarm_name        = "${var.name}-queue-oldest-message-age"
  alarm_description = "Snapshot events of ${var.name} have waited longer than expected for a copy slot or a retry."
  namespace         = "AWS/SQS"
  metric_name       = "ApproximateAgeOfOldestMessage"
  dimensions = {
    QueueName = aws_sqs_queue.this.name
  }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.queue_age_alarm_threshold_seconds
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "dead_letter_queue_depth" {
  provider = aws.source

  alarm_name        = "${var.name}-dead-letter-queue-depth"
  alarm_description = "Snapshots of ${var.name} were not copied; the dead-letter messages carry the reason."
  namespace         = "AWS/SQS"
  metric_name       = "ApproximateNumberOfMessagesVisible"
  dimensions = {
    QueueName = aws_sqs_queue.dead_letter.name
  }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

# Published by the function in Embedded Metric Format: alarms at the moment of dead-lettering,
# not only while the message stays in the queue.
resource "aws_cloudwatch_metric_alarm" "dead_lettered" {
  provider = aws.source

  alarm_name        = "${var.name}-dead-lettered"
  alarm_description = "The ${var.name} function dead-lettered a snapshot event it could not copy."
  namespace         = var.metric_namespace
  metric_name       = "DeadLettered"
  dimensions = {
    FunctionName = aws_lambda_function.this.function_name
  }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}
