# The reconciler's own permissions: it reads, in both regions, and its only writes are messages on the
# copier's queue and items in the copy requests table (its metrics are EMF log lines, no call). No KMS, no copy, no delete, no tagging: the copier
# makes the copies the messages ask for, with its own role. modules/function adds writing its log group and
# sending to the scheduled dead-letter queue (WriteLogs, DeadLetter).
data "aws_iam_policy_document" "reconciler" {
  provider = aws.source

  # The source snapshots without a copy, and this deployment's copies in the destination. Listing (no
  # identifier, only filters) is authorised against no one snapshot, so the read-only Describe actions are
  # allowed on "*", in the two regions only. A vault (vault.tf) lists the snapshots the source accounts
  # shared with it the same way (IncludeShared): nothing more to allow.
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

  # The sources whose recovery point is measured: the live databases and clusters of the source region.
  # The Service Authorization Reference gives these List actions an optional resource type (db, cluster),
  # which a listing without an identifier names none of: "*", read-only, source region only.
  statement {
    sid = "DescribeSources"
    actions = [
      "rds:DescribeDBClusters",
      "rds:DescribeDBInstances",
    ]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.source_region]
    }
  }

  # No rds:ListTagsForResource, even with a tag filter: DescribeDBInstances and DescribeDBClusters answer
  # with each source's tags, and a snapshot of a source that no longer exists is judged by its identifier.

  # The events of the missed snapshots go on the copier's queue (SendMessageBatch is authorised as
  # sqs:SendMessage); the queue's URL comes from the environment, so no GetQueueUrl.
  statement {
    sid       = "EnqueueMissedSnapshots"
    actions   = ["sqs:SendMessage"]
    resources = [local.queue_arn]
  }

  # With drill_max_age_days, the drills' LastDrillTimestamp, read back in the destination region where
  # `drill --publish-metric` puts it. The Service Authorization Reference gives cloudwatch:GetMetricData no
  # required resource type and no namespace condition key: "*", read-only, destination region only.
  dynamic "statement" {
    for_each = var.drill_max_age_days == null ? [] : [local.destination_region]

    content {
      sid       = "ReadLastDrill"
      actions   = ["cloudwatch:GetMetricData"]
      resources = ["*"]

      condition {
        test     = "StringEquals"
        variable = "aws:RequestedRegion"
        values   = [statement.value]
      }
    }
  }

  # Which missing snapshots were already requested, and the requests it makes (copy_requests.tf).
  statement {
    sid = "CopyRequests"
    actions = [
      "dynamodb:BatchGetItem",
      "dynamodb:BatchWriteItem",
    ]
    resources = [local.copy_requests_table_arn]
  }
}
