resource "aws_kms_key" "this" {
  count    = var.kms_key_arn == null ? 1 : 0
  provider = aws.destination

  description             = "Encrypts the ${var.name} copies of RDS snapshots from ${local.source_region}"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_key_deletion_window_in_days
  policy                  = data.aws_iam_policy_document.kms[0].json

  tags = var.tags
}

resource "aws_kms_alias" "this" {
  count    = var.kms_key_arn == null ? 1 : 0
  provider = aws.destination

  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this[0].key_id
}

data "aws_iam_policy_document" "kms" {
  count    = var.kms_key_arn == null ? 1 : 0
  provider = aws.source

  # A key policy's "*" resource means this key only; without the account statement nobody could manage it.
  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
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
