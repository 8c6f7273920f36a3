# Backup-account mode: this deployment is a VAULT in a backup account, and source accounts share their
# snapshots with it (modules/source-account runs in each source account and region). What the vault adds to
# the single-account module: who the source side is (here), the events queue's statement for it (sqs.tf), the
# copier's permissions on the source accounts' shared snapshots and keys (iam_copier.tf), the copier's and the
# reconciler's environment (copier.tf, reconciler.tf), and the reader role below. Without source_account_ids
# and source_organization_id none of it exists and the module renders what it always did.
locals {
  backup_mode = length(var.source_account_ids) > 0 || var.source_organization_id != null

  # The source side's role, the same name in every source account (modules/source-account: <name>-<region>).
  # IAM roles are global, hence the region in the name: one source account may feed vaults from two regions.
  source_share_role_name = "${var.source_share_role_name}-${local.source_region}"
  source_share_role_arns = [
    for account in var.source_account_ids : "arn:${local.partition}:iam::${account}:role/${local.source_share_role_name}"
  ]

  # Who the source side is, for the queue policy and the reader role's trust. Listed accounts: each account's
  # root as the principal (always a valid principal, so the vault can be deployed before the source roles
  # exist: IAM refuses a trust policy naming a role that does not exist), narrowed to the one role by
  # aws:PrincipalArn. Organization: any principal, narrowed to the role's name in any account and to the
  # organization (aws:PrincipalOrgID).
  source_principals = var.source_organization_id != null ? ["*"] : [
    for account in var.source_account_ids : "arn:${local.partition}:iam::${account}:root"
  ]
  source_principal_conditions = var.source_organization_id != null ? [
    { test = "ArnLike", variable = "aws:PrincipalArn", values = ["arn:${local.partition}:iam::*:role/${local.source_share_role_name}"] },
    { test = "StringEquals", variable = "aws:PrincipalOrgID", values = [var.source_organization_id] },
    ] : [
    { test = "ArnEquals", variable = "aws:PrincipalArn", values = local.source_share_role_arns },
  ]

  # What the copier and the reconciler are told (lambda/snapshot_copy/copy_config.py): absent in the
  # single-account mode, so that their environment stays what it was.
  vault_environment = merge(
    length(var.source_account_ids) == 0 ? {} : { SOURCE_ACCOUNT_IDS = join(",", var.source_account_ids) },
    var.source_organization_id == null ? {} : { SOURCE_ORGANIZATION_ID = var.source_organization_id },
  )

  vault_reader_role_name = "${var.name}-vault-reader"
}

# The vault's reader role: before the source side removes a share or deletes a share copy, its clean-up
# checks that this vault holds an AVAILABLE copy, as this role. It may only describe snapshots, in the
# destination region: no copy, no delete, no tag, no key. Only the source side's roles may assume it.
resource "aws_iam_role" "vault_reader" {
  count    = local.backup_mode ? 1 : 0
  provider = aws.source

  name                 = local.vault_reader_role_name
  description          = "Lets the ${local.source_share_role_name} roles of the source accounts see whether ${var.name} holds an available copy in ${local.destination_region}"
  assume_role_policy   = data.aws_iam_policy_document.vault_reader_trust[0].json
  max_session_duration = 3600

  tags = var.tags
}

data "aws_iam_policy_document" "vault_reader_trust" {
  count    = local.backup_mode ? 1 : 0
  provider = aws.source

  statement {
    sid     = "SourceShareRolesAssumeRole"
    actions = ["sts:AssumeRole"]

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

resource "aws_iam_role_policy" "vault_reader" {
  count    = local.backup_mode ? 1 : 0
  provider = aws.source

  name   = local.vault_reader_role_name
  role   = aws_iam_role.vault_reader[0].id
  policy = data.aws_iam_policy_document.vault_reader[0].json
}

data "aws_iam_policy_document" "vault_reader" {
  count    = local.backup_mode ? 1 : 0
  provider = aws.source

  # The clean-up describes the copy by its identifier; the Service Authorization Reference gives these List
  # actions optional resource types only, and a listing names none: "*", read-only, destination region only.
  statement {
    sid = "DescribeVaultCopies"
    actions = [
      "rds:DescribeDBClusterSnapshots",
      "rds:DescribeDBSnapshots",
    ]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.destination_region]
    }
  }
}
