# What the copier needs for source_filter, beyond its policy in iam.tf: with a tag filter it reads the tags
# of the source database or cluster itself (the snapshot's own tags are iam.tf's ReadSnapshotTags), in the
# source region only. Without a tag filter this document has no statement. lambda.tf merges the two into
# the policy the copier's call of modules/function gets.
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

# The copier's whole policy: iam.tf's document and the filters' (statement IDs are distinct, so nothing is
# overridden). modules/function adds WriteLogs and DeadLetter.
data "aws_iam_policy_document" "copier_with_filters" {
  provider = aws.source

  source_policy_documents = [
    data.aws_iam_policy_document.copier.json,
    data.aws_iam_policy_document.copier_filters.json,
  ]
}
