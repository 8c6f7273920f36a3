# The copier's own permissions. modules/function adds the rest to the role's policy: writing its log group
# and sending to the dead-letter queue (WriteLogs, DeadLetter).
data "aws_iam_policy_document" "copier" {
  provider = aws.source

  # A cross-region copy is authorised against both the source and the target snapshot ARN.
  statement {
    sid       = "CopyDbSnapshots"
    actions   = ["rds:CopyDBSnapshot"]
    resources = concat(local.snapshot_arns["db"], local.option_group_arns)
  }

  statement {
    sid       = "CopyDbClusterSnapshots"
    actions   = ["rds:CopyDBClusterSnapshot"]
    resources = local.snapshot_arns["cluster"]
  }

  # Copies are tagged as they are created, which RDS authorises as tagging the target.
  statement {
    sid       = "TagDestinationSnapshots"
    actions   = ["rds:AddTagsToResource"]
    resources = local.destination_snapshot_arns
  }

  # Reading both regions: the source snapshot's state and tags, and the copies already in progress.
  statement {
    sid = "DescribeSnapshots"
    actions = [
      "rds:DescribeDBClusterSnapshots",
      "rds:DescribeDBSnapshots",
      "rds:ListTagsForResource",
    ]
    resources = flatten(values(local.snapshot_arns))
  }

  # The queue's ARN as a string (sqs.tf): the policy need not wait for the queue to be created.
  statement {
    sid = "ConsumeEvents"
    actions = [
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
    ]
    resources = [local.queue_arn]
  }

  # The destination key: needed when it is an existing one whose key policy delegates to IAM.
  dynamic "statement" {
    for_each = local.kms_through_rds.destination

    content {
      sid       = "DestinationKey${statement.key}"
      actions   = statement.value.actions
      resources = [local.kms_key_arn]

      dynamic "condition" {
        for_each = statement.value.conditions

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }

  # RDS decrypts an encrypted source snapshot for the copy with a grant on its customer-managed key.
  dynamic "statement" {
    for_each = length(var.source_kms_key_arns) > 0 ? local.kms_through_rds.source : {}

    content {
      sid       = "SourceKeys${statement.key}"
      actions   = statement.value.actions
      resources = var.source_kms_key_arns

      dynamic "condition" {
        for_each = statement.value.conditions

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}
