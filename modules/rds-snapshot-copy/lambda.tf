# The copier: the function, its role and inline policy, its log group and its errors alarm (modules/function).
module "copier" {
  source = "./modules/function"

  providers = {
    aws = aws.source
  }

  name        = var.name
  description = "Copies new RDS snapshots from ${local.source_region} to ${local.destination_region}"
  handler     = "copy_snapshot.lambda_handler"

  package_path = var.lambda_package_path
  package_hash = var.lambda_package_hash

  architecture                   = var.lambda_architecture
  memory_size                    = var.lambda_memory_size
  timeout                        = var.lambda_timeout
  reserved_concurrent_executions = var.reserved_concurrent_executions
  environment                    = local.lambda_environment

  role_name        = "${var.name}-copier"
  role_description = "Lets the ${var.name} function copy RDS snapshots from ${local.source_region} to ${local.destination_region}"
  account_id       = local.account_id
  # iam.tf's policy plus what source_filter needs (iam_copier_filters.tf).
  policy_json = data.aws_iam_policy_document.copier_with_filters.json

  # The function dead-letters what cannot succeed itself, with the reason as message attributes; Lambda's
  # own dead-letter config (for direct asynchronous invocations, a backfill say) uses the same queue, and
  # the module grants the role sqs:SendMessage on it for both.
  dead_letter_target_arn = local.dead_letter_queue_arn

  log_retention_in_days = var.log_retention_in_days
  logs_kms_key_arn      = var.cloudwatch_logs_kms_key_arn

  errors_alarm_description = "The ${var.name} function failed; its messages are retried and may end in the dead-letter queue."
  alarm_actions            = local.alarm_actions

  tags = var.tags
}

resource "aws_lambda_event_source_mapping" "this" {
  provider = aws.source

  event_source_arn                   = aws_sqs_queue.this.arn
  function_name                      = module.copier.function_arn
  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.maximum_batching_window_in_seconds
  # The function reports the messages that must wait or retry; the rest of the batch is deleted.
  function_response_types = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.event_source_maximum_concurrency
  }

  tags = var.tags
}
