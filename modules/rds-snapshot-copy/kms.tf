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
  statement {
    sid       = "CopierCreateGrantThroughRds"
    actions   = ["kms:CreateGrant"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.copier.arn]
    }

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

  statement {
    sid       = "CopierDescribeKeyThroughRds"
    actions   = ["kms:DescribeKey"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.copier.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["rds.${local.destination_region}.amazonaws.com"]
    }
  }
}
