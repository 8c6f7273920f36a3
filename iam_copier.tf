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
  # marks a copy as this deployment's: the request must set the deployment tag to this deployment's name and
  # the source_region tag to this source region, so the role can never write another deployment's identity.
  statement {
    sid       = "TagDestinationSnapshots"
    actions   = ["rds:AddTagsToResource"]
    resources = local.destination_snapshot_arns

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/${local.copy_tags.deployment}"
      values   = [var.name]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/${local.copy_tags.source_region}"
      values   = [local.source_region]
    }
  }

  # DeleteBrokenDbCopies, DeleteBrokenClusterCopies: a copy of its own that failed (status failed or
  # incompatible-restore) sits at the target name and blocks the copy; the copier deletes it and copies
  # again. Only snapshots tagged as this deployment's copies, in the destination region (the code also
  # checks the identifier and the status first: lambda/snapshot_copy/copier.py).
  dynamic "statement" {
    for_each = local.snapshot_kinds

    content {
      sid       = "DeleteBroken${title(statement.key)}Copies"
      actions   = ["rds:${statement.value.delete_action}"]
      resources = [local.destination_snapshot_arn[statement.key]]

      dynamic "condition" {
        for_each = local.own_copy_conditions

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
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

# What the copier needs for source_filter, beyond the policy above: with a tag filter it reads the tags of
# the source database or cluster itself (the snapshot's own tags are ReadSnapshotTags above), in the source
# region only. Without a tag filter this document has no statement. The two are merged below into the
# policy the copier's call of modules/function gets (copier.tf).
locals {
  source_filter_reads_tags = length(var.source_filter.include_tags) + length(var.source_filter.exclude_tags) > 0

  # The databases and clusters snapshots are taken of (the catalogue's source_arn_resource_type: db, cluster).
  source_database_arns = [
    for kind, spec in local.snapshot_kinds : "arn:${local.partition}:rds:${local.source_region}:${local.account_id}:${spec.source_arn_resource_type}:*"
  ]
}

data "aws_iam_policy_document" "copier_filters" {
  provider = aws.source

  dynamic "statement" {
    for_each = local.source_filter_reads_tags ? [local.source_database_arns] : []

    content {
      sid       = "ReadSourceDatabaseTags"
      actions   = ["rds:ListTagsForResource"]
      resources = statement.value
    }
  }
}

# The copier's whole policy: its own document and the filters' (statement IDs are distinct, so nothing is
# overridden). modules/function adds WriteLogs and DeadLetter.
data "aws_iam_policy_document" "copier_with_filters" {
  provider = aws.source

  source_policy_documents = [
    data.aws_iam_policy_document.copier.json,
    data.aws_iam_policy_document.copier_filters.json,
  ]
}
