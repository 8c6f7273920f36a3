locals {
  # The tags every copy carries (the function reads the same file: lambda/snapshot_copy/copy_tags.json).
  copy_tags = jsondecode(file("${path.module}/copy_tags.json"))
}

# The copier's own permissions. modules/function adds the rest to the role's policy: writing its log group
# and sending to the dead-letter queue (WriteLogs, DeadLetter). Every call the function makes is proven
# against this policy by the IAM simulation (tests/iam), with a list of what it must never be allowed.
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

  # Copies are tagged as they are created, which RDS authorises as tagging the target. Only tagging that
  # marks a copy as this deployment's: the request must set the source_region tag to this source region.
  statement {
    sid       = "TagDestinationSnapshots"
    actions   = ["rds:AddTagsToResource"]
    resources = local.destination_snapshot_arns

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/${local.copy_tags.source_region}"
      values   = [local.source_region]
    }
  }

  # Reading both regions: the source snapshot's state, and the copies already in progress. Listing
  # (no identifier, only filters) is authorised against no one snapshot, so the read-only Describe
  # actions are allowed on "*", in the two regions only.
  statement {
    sid = "DescribeSnapshots"
    actions = [
      "rds:DescribeDBClusterSnapshots",
      "rds:DescribeDBSnapshots",
    ]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = local.rds_regions
    }
  }

  # The source snapshot's tags, where the describe answer carries none.
  statement {
    sid       = "ReadSnapshotTags"
    actions   = ["rds:ListTagsForResource"]
    resources = flatten(values(local.snapshot_arns))
  }

  # The queue's ARN as a string (sqs.tf): the policy need not wait for the queue to be created.
  # GetQueueUrl: the function hands waiting messages back with ChangeMessageVisibilityBatch, which takes
  # the queue's URL, looked up from the record's queue ARN.
  statement {
    sid = "ConsumeEvents"
    actions = [
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl",
      "sqs:ReceiveMessage",
    ]
    resources = [local.queue_arn]
  }

  # One BatchWriteItem per invocation: the snapshots postponed on their first receive and those
  # dead-lettered, so that the reconciler leaves them alone (copy_requests.tf). Writing only: the copier
  # never reads the table. The table's ARN as a string, like the queue's.
  statement {
    sid       = "RecordCopyRequests"
    actions   = ["dynamodb:BatchWriteItem"]
    resources = [local.copy_requests_table_arn]
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
