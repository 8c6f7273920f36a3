# The pruner's own permissions, all in the destination region: it reads the manual snapshots there, deletes
# only this deployment's expired copies, and reads the RDS quotas. No KMS, no copy, nothing in the source
# region. modules/function adds writing its log group and sending to the scheduled dead-letter queue
# (WriteLogs, DeadLetter).
locals {
  pruner_deletes = var.retention_days != null && !local.pruner_dry_run

  # Only requests to the destination region: for the actions on "*", and for the quota ARNs, whose region
  # the ARN names already.
  prune_destination_only = {
    test     = "StringEquals"
    variable = "aws:RequestedRegion"
    values   = [local.destination_region]
  }
}

data "aws_iam_policy_document" "pruner" {
  provider = aws.source

  # DeleteDbSnapshotCopies, DeleteClusterSnapshotCopies: only snapshots tagged as this deployment's copies
  # (main.tf's own_copy_conditions: its name, its source region, a source ARN). Only while the pruner deletes:
  # with pruning off (retention_days null) or in a dry run the role cannot delete anything at all.
  dynamic "statement" {
    for_each = { for kind, spec in local.snapshot_kinds : kind => spec if local.pruner_deletes }

    content {
      sid       = "Delete${title(statement.key)}SnapshotCopies"
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

  # Listing the manual snapshots (no identifier, only filters) is authorised against no one snapshot, so
  # the read-only Describe actions are allowed on "*", in the destination region only.
  statement {
    sid = "DescribeSnapshots"
    actions = [
      "rds:DescribeDBClusterSnapshots",
      "rds:DescribeDBSnapshots",
    ]
    resources = ["*"]

    condition {
      test     = local.prune_destination_only.test
      variable = local.prune_destination_only.variable
      values   = local.prune_destination_only.values
    }
  }

  # GetServiceQuota is the one Service Quotas action with a resource type (quota: <service>/<quota code>):
  # scoped to RDS's quotas of this account in the destination.
  statement {
    sid       = "ReadRdsQuotas"
    actions   = ["servicequotas:GetServiceQuota"]
    resources = ["arn:${local.partition}:servicequotas:${local.destination_region}:${local.account_id}:rds/*"]

    condition {
      test     = local.prune_destination_only.test
      variable = local.prune_destination_only.variable
      values   = local.prune_destination_only.values
    }
  }

  # The listing actions and the AWS default values have no resource type: "*", read-only, destination only.
  statement {
    sid = "ListQuotas"
    actions = [
      "servicequotas:GetAWSDefaultServiceQuota",
      "servicequotas:ListAWSDefaultServiceQuotas",
      "servicequotas:ListServiceQuotas",
    ]
    resources = ["*"]

    condition {
      test     = local.prune_destination_only.test
      variable = local.prune_destination_only.variable
      values   = local.prune_destination_only.values
    }
  }
}
