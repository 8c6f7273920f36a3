# The share key: share copies (of automated snapshots, and of manual ones under aws/rds or a key the vaults
# may not use) are encrypted with it, because RDS shares no snapshot under the account's default key
# (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/share-encrypted-snapshot.html). The vaults' copier
# roles may use it only through RDS in this region, to copy a shared share copy with their own key; this
# account administers it. Share copies are deleted once every vault holds its copy, so nothing lasting
# depends on the key: no destroy protection.
resource "aws_kms_key" "share" {
  description             = "Encrypts the ${var.name} share copies of RDS snapshots that ${join(", ", local.vault_accounts)} copy"
  enable_key_rotation     = true
  deletion_window_in_days = var.share_key_deletion_window_in_days
  policy                  = data.aws_iam_policy_document.share_key.json

  tags = var.tags
}

resource "aws_kms_alias" "share" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.share.key_id
}

locals {
  vault_copier_role_arns = sort(distinct([for vault in var.vaults : vault.copier_role_arn]))

  # What the vault's copier does with the key of a shared snapshot it copies, through RDS in this region
  # (the vault's iam_copier.tf, SharedKeys*, grants the same on its side): describe it, and create a grant for
  # RDS, which decrypts the snapshot (and re-encrypts it under the vault's key) through it.
  vault_copier_key_statements = {
    VaultCopiersCreateGrantThroughRds = {
      actions = ["kms:CreateGrant"]
      conditions = [
        { test = "StringEquals", variable = "kms:ViaService", values = ["rds.${local.region}.amazonaws.com"] },
        { test = "Bool", variable = "kms:GrantIsForAWSResource", values = ["true"] },
      ]
    }
    VaultCopiersUseThroughRds = {
      actions = ["kms:Decrypt", "kms:DescribeKey", "kms:ReEncrypt*"]
      conditions = [
        { test = "StringEquals", variable = "kms:ViaService", values = ["rds.${local.region}.amazonaws.com"] },
      ]
    }
  }
}

data "aws_iam_policy_document" "share_key" {
  #checkov:skip=CKV_AWS_356:A key policy: its "*" resource means this key only.
  #checkov:skip=CKV_AWS_109:A key policy: kms:* for the account root on this key is AWS's default key policy, without which nobody could manage the key; the vaults' statements are conditioned on RDS and their copier roles.
  #checkov:skip=CKV_AWS_111:A key policy: kms:* for the account root on this key is AWS's default key policy, without which nobody could manage the key; the vaults' statements are conditioned on RDS and their copier roles.

  # This account administers the key through IAM (the share function's role uses it through its own policy).
  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # The vaults' copier roles, and no other principal of their accounts: the accounts' roots as principals
  # (always valid, so a vault redeployed later does not break the policy), narrowed to the copier roles by
  # aws:PrincipalArn; only through RDS in this region.
  dynamic "statement" {
    for_each = local.vault_copier_key_statements

    content {
      sid       = statement.key
      actions   = statement.value.actions
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = [for account in local.vault_accounts : "arn:${local.partition}:iam::${account}:root"]
      }

      dynamic "condition" {
        for_each = concat(statement.value.conditions, [
          { test = "ArnEquals", variable = "aws:PrincipalArn", values = local.vault_copier_role_arns },
        ])

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}
