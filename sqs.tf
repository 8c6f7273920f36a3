locals {
  # Built as strings: a queue's own inline policy cannot refer to the queue's ARN attribute, and the
  # role's policy and the function (dead-letter config) need not wait for the queues to be created and
  # their attributes to settle (about 25 s each).
  queue_arn             = "arn:${local.partition}:sqs:${local.source_region}:${local.account_id}:${var.name}-events"
  dead_letter_queue_arn = "arn:${local.partition}:sqs:${local.source_region}:${local.account_id}:${var.name}-dlq"
  # The pruner's and the reconciler's (pruner.tf, reconciler.tf): their roles' policies and their functions'
  # dead-letter configs need not wait for it either.
  scheduled_dead_letter_queue_arn = "arn:${local.partition}:sqs:${local.source_region}:${local.account_id}:${var.name}-scheduled-dlq"
}

# The copier's queues: the events the rule (events.tf) matched, waiting for the copier, and the dead-letter
# queue of those it could not copy.
resource "aws_sqs_queue" "this" {
  provider = aws.source

  name                      = "${var.name}-events"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 1209600
  # AWS's advice for SQS event sources: six times the function timeout, so retries of a batch
  # that was throttled do not make the message visible again while it is still being handled.
  visibility_timeout_seconds = 6 * local.copier_timeout

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

  # Backup-account mode (vault.tf): the events queue also takes the source side's messages (RDS's event for a
  # shared snapshot), from its role in the allowed accounts (or the organization) only. No other principal
  # of another account may send: a queue policy is the only way in from outside. Not the dead-letter queue.
  dynamic "statement" {
    for_each = local.backup_mode && each.key == "this" ? [each.value] : []

    content {
      sid       = "SourceShareRolesSendMessage"
      actions   = ["sqs:SendMessage"]
      resources = [statement.value]

      principals {
        type        = "AWS"
        identifiers = local.source_principals
      }

      dynamic "condition" {
        for_each = local.source_principal_conditions

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

# Failed scheduled invocations of the pruner and the reconciler, from EventBridge (undeliverable) and from
# Lambda (after its retries). The message is the schedule's event; its rule names the function.
resource "aws_sqs_queue" "scheduled_dead_letter" {
  provider = aws.source

  name                      = "${var.name}-scheduled-dlq"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 1209600
  # Inline, as for the copier's queues: a separate queue policy costs another wait for SQS to settle.
  policy = data.aws_iam_policy_document.scheduled_dead_letter_queue.json
  # No queue redrives into it.
  redrive_allow_policy = jsonencode({
    redrivePermission = "denyAll"
  })

  tags = var.tags
}

# EventBridge may send to it for the two schedule rules only. Lambda sends with the pruner's and the
# reconciler's roles' own permission (modules/function's DeadLetter statement), which needs nothing here.
data "aws_iam_policy_document" "scheduled_dead_letter_queue" {
  provider = aws.source

  statement {
    sid       = "EventBridgeScheduleSendMessage"
    actions   = ["sqs:SendMessage"]
    resources = [local.scheduled_dead_letter_queue_arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values = [
        module.pruner.schedule_rule_arn,
        module.reconciler.schedule_rule_arn,
      ]
    }
  }
}
