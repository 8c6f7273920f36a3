# The copier's own permissions. modules/function adds the rest to the role's policy: writing its log group
# and sending to the dead-letter queue (WriteLogs, DeadLetter). Every call the function makes is proven
# against this policy by the IAM simulation (tests/iam), with a list of what it must never be allowed.
data "aws_iam_policy_document" "copier" {
  provider = aws.source

  # A cross-region copy is authorised against both the source and the target snapshot ARN. A vault copies
  # only into the destination region, from the source accounts' snapshots (CopySharedSnapshots below).
  statement {
    sid       = "CopyDbSnapshots"
    actions   = ["rds:CopyDBSnapshot"]
    resources = concat(local.copy_own_snapshot_arns["db"], local.option_group_arns, local.vault_option_group_arns)
  }

  statement {
    sid       = "CopyDbClusterSnapshots"
    actions   = ["rds:CopyDBClusterSnapshot"]
    resources = local.copy_own_snapshot_arns["cluster"]
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
  # actions are allowed on "*", in the two regions only. A vault describes a shared snapshot by its ARN the
  # same way.
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

  # Backup-account mode (vault.tf): the snapshots the source accounts shared, in the source region, of the
  # listed accounts only (or, with an organization, of any account whose organization is it:
  # aws:ResourceOrgID). The target is this account's destination region (CopyDbSnapshots above). Nothing
  # here deletes: the copier deletes only its own broken copies (DeleteBroken*Copies).
  dynamic "statement" {
    for_each = local.backup_mode ? [local.shared_snapshot_arns] : []

    content {
      sid = "CopySharedSnapshots"
      actions = [
        "rds:CopyDBClusterSnapshot",
        "rds:CopyDBSnapshot",
      ]
      resources = statement.value

      dynamic "condition" {
        for_each = local.shared_resource_conditions

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }

  # The source accounts' keys of the shared snapshots (the source side's share key, or a customer key it
  # shares as it is), only through RDS in the source region, where the snapshot is read. RDS's guide to
  # sharing encrypted snapshots lists Decrypt, DescribeKey, ReEncrypt* and grants for the account copying a
  # shared snapshot (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/share-encrypted-snapshot.html);
  # not Encrypt or GenerateDataKey*: the copy is encrypted with the vault's own key (DestinationKey*). The
  # key's own policy in the source account must allow the same (modules/source-account's share key does).
  dynamic "statement" {
    for_each = local.backup_mode ? local.shared_key_statements : {}

    content {
      sid       = "SharedKeys${statement.key}"
      actions   = statement.value.actions
      resources = local.shared_key_arns

      dynamic "condition" {
        for_each = concat(statement.value.conditions, local.shared_resource_conditions)

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

# What a vault's copier may copy (vault.tf): only into the destination region (a single-account copier keeps
# both regions, as it always had), from the source accounts' snapshots of the source region.
locals {
  copy_own_snapshot_arns = local.backup_mode ? {
    for kind, arn in local.destination_snapshot_arn : kind => [arn]
  } : local.snapshot_arns

  # Listed accounts by ARN; an organization's accounts are not known to the plan: any account, and the
  # condition below requires the organization of the snapshot's (and the key's) owner.
  shared_snapshot_accounts = var.source_organization_id != null ? ["*"] : var.source_account_ids
  shared_snapshot_arns = flatten([
    for account in local.shared_snapshot_accounts : [
      for kind, spec in local.snapshot_kinds : "arn:${local.partition}:rds:${local.source_region}:${account}:${spec.arn_resource_type}:*"
    ]
  ])
  shared_key_arns = [
    for account in local.shared_snapshot_accounts : "arn:${local.partition}:kms:${local.source_region}:${account}:key/*"
  ]
  shared_resource_conditions = var.source_organization_id == null ? [] : [
    { test = "StringEquals", variable = "aws:ResourceOrgID", values = [var.source_organization_id] },
  ]
  shared_key_statements = {
    CreateGrantThroughRds = local.kms_through_rds.source.CreateGrantThroughRds
    UseThroughRds = {
      actions    = ["kms:Decrypt", "kms:DescribeKey", "kms:ReEncrypt*"]
      conditions = local.kms_through_rds.source.DescribeKeyThroughRds.conditions
    }
  }

  # A copy from another account names an option group of the vault's destination: the one option_group_map
  # maps the source's to, or, with CopyOptionGroup, the copy of the source's own, whose name the plan cannot
  # know. Hence any option group of the destination, for rds:CopyDBSnapshot only (no other action).
  vault_option_group_arns = local.backup_mode ? [
    "arn:${local.partition}:rds:${local.destination_region}:${local.account_id}:og:*",
  ] : []
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
