resource "aws_sqs_queue" "this" {
  provider = aws.source

  name                      = "${var.name}-events"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 1209600
  # AWS's advice for SQS event sources: six times the function timeout, so retries of a batch
  # that was throttled do not make the message visible again while it is still being handled.
  visibility_timeout_seconds = 6 * var.lambda_timeout

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letter.arn
    maxReceiveCount     = local.queue_max_receive_count
  })

  tags = var.tags
}

resource "aws_sqs_queue" "dead_letter" {
  provider = aws.source

  name                      = "${var.name}-dlq"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 1209600

  tags = var.tags
}

resource "aws_sqs_queue_redrive_allow_policy" "dead_letter" {
  provider = aws.source

  queue_url = aws_sqs_queue.dead_letter.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.this.arn]
  })
}

resource "aws_sqs_queue_policy" "this" {
  provider = aws.source

  queue_url = aws_sqs_queue.this.id
  policy    = data.aws_iam_policy_document.queue.json
}

# The dead-letter queue is also the rule target's dead-letter queue, so EventBridge must reach it too.
resource "aws_sqs_queue_policy" "dead_letter" {
  provider = aws.source

  queue_url = aws_sqs_queue.dead_letter.id
  policy    = data.aws_iam_policy_document.dead_letter_queue.json
}

data "aws_iam_policy_document" "queue" {
  provider = aws.source

  statement {
    sid       = "EventBridgeRuleSendMessage"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.this.arn]

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

data "aws_iam_policy_document" "dead_letter_queue" {
  provider = aws.source

  statement {
    sid       = "EventBridgeRuleSendMessage"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dead_letter.arn]

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
