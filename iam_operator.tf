# The least privilege of the person who runs `rds-snapshot-copy restore`, `drill` and `adopt` (the README's
# "Regional failover" runbook and "Upgrading from 0.4"): rendered, not attached, because who operates is the
# user's choice (a role, an SSO permission set, a group). Output as operator_policy_json. Every call the
# commands make (their tests' and the end-to-end drill's and adoption's) is proven against it by the IAM
# simulation (tests/iam), with a list of what it must never allow; its actions are drill.OPERATOR_ACTIONS
# exactly.
#
# Restores happen in the destination region, from the copies, with the copies' key; a drill may delete only
# what a drill created (named drill-* and tagged rds_snapshot_copy_drill, both: the tag alone could be put
# on any database by whoever may tag). With a kms_key_arn of your own, its key policy must let IAM policies
# of this account grant use of it (the default key policy does), or name the operator itself.
locals {
  destination_rds_arn = "arn:${local.partition}:rds:${local.destination_region}:${local.account_id}"

  # restore.py's provenance tag (restored_by = rds-snapshot-copy) is on everything a restore creates.
  operator_restore_tag = { key = "restored_by", value = "rds-snapshot-copy" }
  # drill.py's names (drill-<source>-<time>) and tag key for everything a drill creates.
  operator_drill_prefix  = "drill-"
  operator_drill_tag_key = "rds_snapshot_copy_drill"
}

data "aws_iam_policy_document" "operator" {
  provider = aws.source

  # Finding the newest copy, the settings a restore needs in the destination, and waiting for it. Listing
  # (no identifier) is authorised against no one resource, so these read-only actions are allowed on "*",
  # in the destination region only.
  statement {
    sid = "ReadDestination"
    actions = [
      "ec2:DescribeSecurityGroups",
      "rds:DescribeDBClusterParameterGroups",
      "rds:DescribeDBClusterSnapshots",
      "rds:DescribeDBClusters",
      "rds:DescribeDBInstances",
      "rds:DescribeDBParameterGroups",
      "rds:DescribeDBSnapshots",
      "rds:DescribeDBSubnetGroups",
      "rds:DescribeOptionGroups",
      "rds:DescribeOrderableDBInstanceOptions",
    ]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.destination_region]
    }
  }

  # The source's settings as defaults (class, groups, port): read once, best effort. When the source region
  # is down (the reason for a restore) the commands go on without them and name what must be given.
  statement {
    sid = "ReadSourceDefaults"
    actions = [
      "ec2:DescribeSecurityGroups",
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

  # A restore from a copy, in the destination, into any name (a failover restores under the production
  # name), always carrying restore.py's provenance tag. RDS authorises it against the new database, the
  # snapshot and the groups it uses (named, or the engine's defaults). The Aurora writer is a
  # CreateDBInstance in the restored cluster.
  statement {
    sid = "RestoreCopies"
    actions = [
      "rds:CreateDBInstance",
      "rds:RestoreDBClusterFromSnapshot",
      "rds:RestoreDBInstanceFromDBSnapshot",
    ]
    resources = [
      for type in ["db", "cluster", "snapshot", "cluster-snapshot", "subgrp", "og", "pg", "cluster-pg"] :
      "${local.destination_rds_arn}:${type}:*"
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/${local.operator_restore_tag.key}"
      values   = [local.operator_restore_tag.value]
    }
  }

  # Tags on create are authorised as tagging the new database or cluster: only a request that marks it as
  # restored by the command.
  statement {
    sid       = "TagRestoredDatabases"
    actions   = ["rds:AddTagsToResource"]
    resources = ["${local.destination_rds_arn}:db:*", "${local.destination_rds_arn}:cluster:*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/${local.operator_restore_tag.key}"
      values   = [local.operator_restore_tag.value]
    }
  }

  # A drill deletes what it created, nothing else: named drill-* and carrying the drill's tag. No final
  # snapshot (rds:DeleteDBCluster would be authorised against it too), no snapshot or copy at all.
  statement {
    sid       = "DeleteDrillDatabases"
    actions   = ["rds:DeleteDBCluster", "rds:DeleteDBInstance"]
    resources = ["${local.destination_rds_arn}:db:${local.operator_drill_prefix}*", "${local.destination_rds_arn}:cluster:${local.operator_drill_prefix}*"]

    condition {
      test     = "Null"
      variable = "aws:ResourceTag/${local.operator_drill_tag_key}"
      values   = ["false"]
    }
  }

  # The copies' key: restore checks it is enabled (DescribeKey, called directly), and RDS creates a grant
  # on it, as the operator, for the restored database. Grants only through RDS in the destination, for an
  # AWS resource. Nothing that manages the key (policy, deletion, disabling).
  statement {
    sid       = "DescribeCopiesKey"
    actions   = ["kms:DescribeKey"]
    resources = [local.kms_key_arn]
  }

  statement {
    sid       = "CopiesKeyThroughRds"
    actions   = ["kms:CreateGrant"]
    resources = [local.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["rds.${local.destination_region}.amazonaws.com"]
    }

    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }

  # `--function NAME`: the deployment's identity (its regions and name) read from one of its functions'
  # environment, in the source region. Only this deployment's three functions (a version or alias of one too).
  statement {
    sid     = "ReadDeploymentSettings"
    actions = ["lambda:GetFunctionConfiguration"]
    resources = flatten([
      for arn in [module.copier.function_arn, module.pruner.function_arn, module.reconciler.function_arn] : [arn, "${arn}:*"]
    ])
  }

  # `adopt --apply`: the deployment tag with this deployment's name, and no other tag, on a copy 0.4.x made
  # (tagged with this source region and a source ARN, and with no deployment tag yet). A snapshot that
  # already carries an identity, another deployment's or this one's, cannot be re-tagged; nor can the
  # source_region or source_snapshot_arn tags be written, which would make a snapshot look like a copy.
  statement {
    sid       = "AdoptLegacyCopies"
    actions   = ["rds:AddTagsToResource"]
    resources = local.destination_snapshot_arns

    condition {
      test     = "Null"
      variable = "aws:ResourceTag/${local.copy_tags.deployment}"
      values   = ["true"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/${local.copy_tags.source_region}"
      values   = [local.source_region]
    }

    condition {
      test     = "Null"
      variable = "aws:ResourceTag/${local.copy_tags.source_snapshot_arn}"
      values   = ["false"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/${local.copy_tags.deployment}"
      values   = [var.name]
    }

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "aws:TagKeys"
      values   = [local.copy_tags.deployment]
    }
  }

  # `drill --publish-metric`: the last drill's time, RTO and RPO, in the functions' namespace only.
  statement {
    sid       = "PublishDrillMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [var.metric_namespace]
    }
  }
}
