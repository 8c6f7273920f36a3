locals {
  # Built as strings: a queue's own inline policy cannot refer to the queue's ARN attribute, and the
  # role's policy and the function (dead-letter config) need not wait for the queues to be created and
  # their attributes to settle (about 25 s each).
  queue_arn             = "arn:${local.partition}:sqs:${local.source_region}:${local.account_id}:${var.name}-events"
  dead_letter_queue_arn = "arn:${local.partition}:sqs:${local.source_region}:${local.account_id}:${var.name}-dlq"
}

resource "aws_sqs_queue" "this" {
  provider = aws.source

  name                      = "${var.name}-events"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 1209600
  # AWS's advice for SQS event sources: six times the function timeout, so retries of a batch
  # that was throttled do not make the message visible again while it is still being handled.
  visibility_timeout_seconds = 6 * var.lambda_timeout

  # The resource attribute, not local.dead_letter_queue_arn, on purpose: SQS (and moto) refuse a
  # CreateQueue whose redrive target does not exist yet, so the dead-letter queue must be created first.
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letter.arn
    maxReceiveCount     = local.queue_max_receive_count
  })
  # Inline rather than an aws_sqs_queue_policy: every separate change of a queue's attributes makes
  # the provider wait about 25 s for SQS to settle.
  policy = data.aws_iam_policy_document.queue["this"].json

  tags = var.tags
}

resource "aws_sqs_queue" "dead_letter" {
  provider = aws.source

  name                      = "${var.name}-dlq"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 1209600
  # It is also the rule target's dead-letter queue, so EventBridge must reach it too.
  policy = data.aws_iam_policy_document.queue["dead_letter"].json
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [local.queue_arn]
  })

  tags = var.tags
}

# Both queues take messages from EventBridge, for this rule only: the events queue as the rule's
# target, the dead-letter queue as the target's dead-letter queue.
data "aws_iam_policy_document" "queue" {
  provider = aws.source
  for_each = {
    this        = local.queue_arn
    dead_letter = local.dead_letter_queue_arn
  }

  statement {
    sid       = "EventBridgeRuleSendMessage"
    actions   = ["sqs:SendMessage"]
    resources = [each.value]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.this.arn]
    }
  }
}
