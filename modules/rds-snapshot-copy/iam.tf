resource "aws_iam_role" "copier" {
  provider = aws.source

  name               = "${var.name}-copier"
  description        = "Lets the ${var.name} function copy RDS snapshots from ${local.source_region} to ${local.destination_region}"
  assume_role_policy = data.aws_iam_policy_document.copier_assume_role.json

  tags = var.tags
}

data "aws_iam_policy_document" "copier_assume_role" {
  provider = aws.source

  statement {
    sid     = "LambdaAssumeRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    # Confused-deputy guard: only functions of this account may assume the role.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role_policy" "copier" {
  provider = aws.source

  name   = "${var.name}-copier"
  role   = aws_iam_role.copier.id
  policy = data.aws_iam_policy_document.copier.json
}

data "aws_iam_policy_document" "copier" {
  provider = aws.source

  # A cross-region copy is authorised against both the source and the target snapshot ARN.
  statement {
    sid       = "CopyDbSnapshots"
    actions   = ["rds:CopyDBSnapshot"]
    resources = concat(local.rds_snapshot_arns, local.option_group_arns)
  }

  statement {
    sid       = "CopyDbClusterSnapshots"
    actions   = ["rds:CopyDBClusterSnapshot"]
    resources = local.rds_cluster_snapshot_arns
  }

  # Copies are tagged as they are created, which RDS authorises as tagging the target.
  statement {
    sid       = "TagDestinationSnapshots"
    actions   = ["rds:AddTagsToResource"]
    resources = local.destination_snapshot_arns
  }

  # Reading both regions: the source snapshot's state and tags, and the copies already in progress.
  statement {
    sid = "DescribeSnapshots"
    actions = [
      "rds:DescribeDBClusterSnapshots",
      "rds:DescribeDBSnapshots",
      "rds:ListTagsForResource",
    ]
    resources = concat(local.rds_snapshot_arns, local.rds_cluster_snapshot_arns)
  }

  statement {
    sid = "ConsumeEvents"
    actions = [
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
    ]
    resources = [aws_sqs_queue.this.arn]
  }

  # The function dead-letters terminal failures itself, with the reason as message attributes;
  # Lambda's own dead-letter config for asynchronous invocations uses the same permission.
  statement {
    sid       = "DeadLetter"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dead_letter.arn]
  }

  # Needed when the key is an existing one whose key policy delegates to IAM.
  statement {
    sid       = "DestinationKeyCreateGrantThroughRds"
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

  statement {
    sid       = "DestinationKeyDescribeThroughRds"
    actions   = ["kms:DescribeKey"]
    resources = [local.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["rds.${local.destination_region}.amazonaws.com"]
    }
  }

  # RDS decrypts an encrypted source snapshot for the copy with a grant on its customer-managed key.
  dynamic "statement" {
    for_each = length(var.source_kms_key_arns) > 0 ? [1] : []

    content {
      sid       = "SourceKeysThroughRds"
      actions   = ["kms:CreateGrant", "kms:DescribeKey"]
      resources = var.source_kms_key_arns

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["rds.${local.source_region}.amazonaws.com"]
      }
    }
  }

  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }
}
