resource "aws_cloudwatch_event_rule" "this" {
  provider = aws.source

  name        = "${var.name}-snapshot-created"
  description = "RDS snapshot-created events that ${var.name} copies to ${local.destination_region}"

  event_pattern = jsonencode({
    source        = ["aws.rds"]
    "detail-type" = local.enabled_detail_types
    detail = {
      EventID = local.enabled_event_ids
    }
  })

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "this" {
  provider = aws.source

  rule      = aws_cloudwatch_event_rule.this.name
  target_id = "${var.name}-events"
  arn       = aws_sqs_queue.this.arn

  # The longest EventBridge allows: a snapshot event lost to a delivery failure is a snapshot never copied.
  retry_policy {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = 185
  }

  dead_letter_config {
    arn = aws_sqs_queue.dead_letter.arn
  }
}
