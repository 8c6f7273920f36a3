# The copy requests: which source snapshots were put on the events queue, when and by whom, so that the
# reconciler does not enqueue a snapshot again while its first message still waits for a copy slot (a
# 56-hour burst would otherwise give it a new message every run). One item per source snapshot, keyed by
# its ARN: the reconciler and the backfill write one after each message they send, the copier one for each
# snapshot it postpones on its first receive or dead-letters; the reconciler and `rds-snapshot-copy status`
# read them. An item outlives the longest wait of a message by a day (expires_at), then DynamoDB's TTL
# removes it. In the source region, next to the queue.
locals {
  copy_requests_table_name = "${var.name}-copy-requests"
  # Built as a string, like the queues' ARNs (sqs.tf): the roles' policies need not wait for the table.
  copy_requests_table_arn = "arn:${local.partition}:dynamodb:${local.source_region}:${local.account_id}:table/${local.copy_requests_table_name}"
}

resource "aws_dynamodb_table" "copy_requests" {
  #checkov:skip=CKV_AWS_28:A cache of requests, not data: losing it costs at most one duplicate message per snapshot, which the copier deduplicates; point-in-time recovery would only add cost.
  #checkov:skip=CKV_AWS_119:It holds snapshot ARNs and timestamps, no secrets; DynamoDB encrypts every table at rest, and a customer-managed key would cost $1 a month and a key policy for a cache.
  provider = aws.source

  name         = local.copy_requests_table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "source_snapshot_arn"

  attribute {
    name = "source_snapshot_arn"
    type = "S"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  tags = var.tags
}
