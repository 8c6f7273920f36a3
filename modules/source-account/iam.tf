# The share function's role, `<name>-<region>`: every vault's queue policy and reader role trust this name.
# Least privilege, in this account and region only. modules/function adds writing its log group and sending
# to the dead-letter queue (WriteLogs, DeadLetter). Its metrics are EMF log lines: no CloudWatch call.
locals {
  snapshot_arns = {
    for kind, spec in local.snapshot_kinds : kind => "arn:${local.partition}:rds:${local.region}:${local.account_id}:${spec.arn_resource_type}:*"
  }
  # Share copies are named share-<the vault copier's target identifier> (lambda/snapshot_copy/sharing/naming.py).
  share_copy_arns = {
    for kind, spec in local.snapshot_kinds : kind => "arn:${local.partition}:rds:${local.region}:${local.account_id}:${spec.arn_resource_type}:share-*"
  }

  # The tags a share copy is created with: this deployment's identity and region are required (the copy also
  # carries the original's own tags, as a vault's copy does: tagging.copy_tags).
  share_copy_request_conditions = [
    { test = "StringEquals", variable = "aws:RequestTag/${local.copy_tags.deployment}", values = [var.name] },
    { test = "StringEquals", variable = "aws:RequestTag/${local.copy_tags.source_region}", values = [local.region] },
  ]
  # What IAM can know of "this deployment's share copy" (the code also requires the identifier that
  # share_copy_identifier gives the tagged source ARN before it deletes: the inner fence).
  own_share_copy_conditions = [
    { test = "StringEquals", variable = "aws:ResourceTag/${local.copy_tags.deployment}", values = [var.name] },
    { test = "StringEquals", variable = "aws:ResourceTag/${local.copy_tags.source_region}", values = [local.region] },
    { test = "Null", variable = "aws:ResourceTag/${local.copy_tags.source_snapshot_arn}", values = ["false"] },
  ]

  source_filter_reads_tags = length(var.source_filter.include_tags) + length(var.source_filter.exclude_tags) > 0
}

data "aws_iam_policy_document" "share" {
  # Listing snapshots and option groups (no identifier, only filters) is authorised against no one resource:
  # the read-only Describe actions on "*", in this region only. Option groups: a TDE option, or a permanent
  # or persistent one, makes a snapshot unshareable, which the function reports instead of retrying.
  statement {
    sid = "DescribeSnapshots"
    actions = [
      "rds:DescribeDBClusterSnapshots",
      "rds:DescribeDBSnapshots",
      "rds:DescribeOptionGroups",
    ]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.region]
    }
  }

  # Who a snapshot is shared with already (RDS's 20 accounts), and the snapshots' tags.
  statement {
    sid = "ReadSnapshotAttributesAndTags"
    actions = [
      "rds:DescribeDBClusterSnapshotAttributes",
      "rds:DescribeDBSnapshotAttributes",
      "rds:ListTagsForResource",
    ]
    resources = values(local.snapshot_arns)
  }

  # Share copies, in this region only. A copy is authorised against the source and the target snapshot, both
  # of this account and region; the target's name cannot be pinned to share-* here, because the source may
  # have any name and both are the same resource type. What IAM can require is the request's tags: this
  # deployment's identity and region. The key is the function's choice (SHARE_KMS_KEY_ID):
  # RDS offers no condition key on it.
  statement {
    sid = "MakeShareCopies"
    actions = [
      "rds:CopyDBClusterSnapshot",
      "rds:CopyDBSnapshot",
    ]
    resources = values(local.snapshot_arns)

    dynamic "condition" {
      for_each = local.share_copy_request_conditions

      content {
        test     = condition.value.test
        variable = condition.value.variable
        values   = condition.value.values
      }
    }
  }

  # Tagging on create, authorised against the target only: the share copies, with the same tags.
  statement {
    sid       = "TagShareCopies"
    actions   = ["rds:AddTagsToResource"]
    resources = values(local.share_copy_arns)

    dynamic "condition" {
      for_each = local.share_copy_request_conditions

      content {
        test     = condition.value.test
        variable = condition.value.variable
        values   = condition.value.values
      }
    }
  }

  # Sharing: adding the vault accounts to a manual snapshot's restore attribute, and removing them. The
  # Service Authorization Reference gives ModifyDBSnapshotAttribute and ModifyDBClusterSnapshotAttribute no
  # condition key (none for the attribute's name or its values), so IAM cannot limit which accounts are
  # added: the function adds and removes only the VAULTS accounts and never touches another value (the
  # issue's one allowed change to a customer's snapshot). An SCP cannot say more: same keys.
  statement {
    sid = "ShareWithVaults"
    actions = [
      "rds:ModifyDBClusterSnapshotAttribute",
      "rds:ModifyDBSnapshotAttribute",
    ]
    resources = values(local.snapshot_arns)
  }

  # DeleteDbShareCopies, DeleteClusterShareCopies: only share-* snapshots tagged as this deployment's. The
  # customers' snapshots are never deleted (nor changed beyond their restore attribute).
  dynamic "statement" {
    for_each = local.snapshot_kinds

    content {
      sid       = "Delete${title(statement.key)}ShareCopies"
      actions   = ["rds:${statement.value.delete_action}"]
      resources = [local.share_copy_arns[statement.key]]

      dynamic "condition" {
        for_each = local.own_share_copy_conditions

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }

  # RDS encrypts a share copy with the share key, and reads the original with its key (aws/rds, or a
  # customer key): grants for RDS, and describing the keys, through RDS in this region only.
  statement {
    sid       = "KeysCreateGrantThroughRds"
    actions   = ["kms:CreateGrant"]
    resources = ["arn:${local.partition}:kms:${local.region}:${local.account_id}:key/*"]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["rds.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }

  statement {
    sid       = "KeysDescribeThroughRds"
    actions   = ["kms:DescribeKey"]
    resources = ["arn:${local.partition}:kms:${local.region}:${local.account_id}:key/*"]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["rds.${local.region}.amazonaws.com"]
    }
  }

  # The vaults: RDS's event for each shared snapshot on each vault's events queue (their queue policies
  # accept this role only), and their reader roles, to see whether they hold an available copy.
  statement {
    sid       = "NotifyVaults"
    actions   = ["sqs:SendMessage"]
    resources = sort(distinct([for vault in var.vaults : vault.queue_arn]))
  }

  statement {
    sid       = "ReadVaultCopies"
    actions   = ["sts:AssumeRole"]
    resources = sort(distinct([for vault in var.vaults : vault.reader_role_arn]))
  }

  # Its own events queue (the event source mapping polls it with the role's permissions).
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

  # With a tag filter: the tags of the databases and clusters the snapshots are of.
  dynamic "statement" {
    for_each = local.source_filter_reads_tags ? [1] : []

    content {
      sid     = "ReadSourceDatabaseTags"
      actions = ["rds:ListTagsForResource"]
      resources = [
        for spec in values(local.snapshot_kinds) : "arn:${local.partition}:rds:${local.region}:${local.account_id}:${spec.source_arn_resource_type}:*"
      ]
    }
  }
}
