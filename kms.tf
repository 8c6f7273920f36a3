# The key the copies are encrypted with, when no kms_key_arn is given. Deleting it would make every copy
# unrestorable, so by default it is protected from destroy (kms_key_prevent_destroy): removing the stack
# then means `terraform state rm` of the key and its alias first, which keeps both. The protected key
# keeps the address it always had (existing state stays as it is); without the protection it is
# aws_kms_key.disposable, because prevent_destroy cannot depend on a variable. The two are the same key
# otherwise. Its policy guards it (compliance.tf, docs/compliance.md): only key_admin_principal_arns may
# disable it, schedule its deletion or change its policy; kms_key_prevent_destroy stops Terraform, the guard
# stops people.
locals {
  create_kms_key = var.kms_key_arn == null

  kms_key_description = "Encrypts the ${var.name} copies of RDS snapshots from ${local.source_region}"

  # The created key, whichever of the two addresses holds it; null with an existing key.
  created_kms_key = one(concat(aws_kms_key.this, aws_kms_key.disposable))
}

resource "aws_kms_key" "this" {
  count    = local.create_kms_key && var.kms_key_prevent_destroy ? 1 : 0
  provider = aws.destination

  description             = local.kms_key_description
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_key_deletion_window_in_days
  policy                  = data.aws_iam_policy_document.kms[0].json
  # KMS refuses a policy that would not let the caller change it again, unless told otherwise: when the
  # deploying principal is no key admin the check key_admins (compliance.tf) warns, and the key is created.
  bypass_policy_lockout_safety_check = !local.deployer_is_key_admin

  tags = var.tags

  # The copies outlive the stack: see kms_key_prevent_destroy for how to remove the stack and keep the key.
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_kms_key" "disposable" {
  count    = local.create_kms_key && !var.kms_key_prevent_destroy ? 1 : 0
  provider = aws.destination

  description             = local.kms_key_description
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_key_deletion_window_in_days
  policy                  = data.aws_iam_policy_document.kms[0].json
  # KMS refuses a policy that would not let the caller change it again, unless told otherwise: when the
  # deploying principal is no key admin the check key_admins (compliance.tf) warns, and the key is created.
  bypass_policy_lockout_safety_check = !local.deployer_is_key_admin

  tags = var.tags
}

resource "aws_kms_alias" "this" {
  count    = local.create_kms_key ? 1 : 0
  provider = aws.destination

  name          = "alias/${var.name}"
  target_key_id = local.created_kms_key.key_id
}

data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_356:A key policy: its "*" resource means this key only (a key policy cannot name its key's ARN, which does not exist yet).
  #checkov:skip=CKV_AWS_109:A key policy: every action but the guarded three for the account root on this key is AWS's default key policy less the guard, without which nobody could manage the key; the guarded three go to the named key admins only; the copier's statements are conditioned on RDS.
  #checkov:skip=CKV_AWS_111:A key policy: every action but the guarded three for the account root on this key is AWS's default key policy less the guard, without which nobody could manage the key; the guarded three go to the named key admins only; the copier's statements are conditioned on RDS.
  count    = local.create_kms_key ? 1 : 0
  provider = aws.source

  # A key policy's "*" resource means this key only; without the account statement nobody could manage it.
  # The account's IAM policies decide every action but the guarded ones (compliance.tf), which no IAM
  # policy can grant then, not even kms:* on "*".
  statement {
    sid         = "AccountAdministration"
    not_actions = local.guarded_key_actions
    resources   = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # The guard: disabling the key, scheduling its deletion and changing this policy, for the named key admins
  # only (key_admin_principal_arns: never empty with a created key, so someone always can).
  statement {
    sid       = "KeyAdministrators"
    actions   = local.guarded_key_actions
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = var.key_admin_principal_arns
    }
  }

  # RDS encrypts the copy itself through a grant; the function only ever asks RDS to create it.
  dynamic "statement" {
    for_each = local.kms_through_rds.destination

    content {
      sid       = "Copier${statement.key}"
      actions   = statement.value.actions
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = [module.copier.role_arn]
      }

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
