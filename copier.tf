# The copier: the function, its role and inline policy, its log group and its errors alarm (modules/function),
# and the mapping that feeds it from the events queue (sqs.tf).
locals {
  # The copier's settings, read by lambda/snapshot_copy/copy_config.py (the copier_environment output).
  copier_environment = merge(
    {
      SOURCE_REGION                  = local.source_region
      DESTINATION_REGION             = local.destination_region
      DESTINATION_REGION_KMS_KEY_ID  = local.kms_key_arn
      ENABLED_EVENT_IDS              = join(",", local.enabled_event_ids)
      DEAD_LETTER_QUEUE_URL          = aws_sqs_queue.dead_letter.url
      MAX_DB_COPIES_IN_PROGRESS      = tostring(var.max_db_copies_in_progress)
      MAX_CLUSTER_COPIES_IN_PROGRESS = tostring(var.max_cluster_copies_in_progress)
      MAX_RECEIVE_COUNT              = tostring(local.max_receive_count)
      MAX_WAIT_SECONDS               = tostring(var.copy_wait_max_hours * 3600)
      WAIT_DELAY_MAX_SECONDS         = tostring(var.wait_delay_max_seconds)
      MAX_ERROR_TRIES                = tostring(var.max_error_tries)
      METRIC_NAMESPACE               = var.metric_namespace
      # The copier records there the snapshots it postpones on their first receive and those it
      # dead-letters, so that the reconciler does not enqueue them again (copy_requests.tf).
      REQUESTS_TABLE = aws_dynamodb_table.copy_requests.name
    },
    { SOURCE_FILTER = local.source_filter_json },
    local.deployment_environment,
    # Lambda rejects null environment values, so the variable is only present when set.
    var.option_group_name == null ? {} : { OPTION_GROUP_NAME = var.option_group_name },
    # Backup-account mode (vault.tf): the accounts (or the organization) whose shared snapshots it copies,
    # and the destination's option groups by the source's; absent in the single-account mode.
    local.vault_environment,
    length(var.option_group_map) == 0 ? {} : { OPTION_GROUP_MAP = jsonencode(var.option_group_map) },
  )
}

module "copier" {
  source = "./modules/function"

  providers = {
    aws = aws.source
  }

  name        = var.name
  description = "Copies new RDS snapshots from ${local.source_region} to ${local.destination_region}"
  handler     = "copy_snapshot.lambda_handler"

  package_path = local.lambda_package_path
  package_hash = local.lambda_package_hash

  architecture                   = var.lambda_architecture
  memory_size                    = local.copier_memory_size
  timeout                        = local.copier_timeout
  reserved_concurrent_executions = var.reserved_concurrent_executions
  environment                    = local.copier_environment

  role_name        = "${var.name}-copier"
  role_description = "Lets the ${var.name} function copy RDS snapshots from ${local.source_region} to ${local.destination_region}"
  account_id       = local.account_id
  # Its own policy plus what source_filter needs (iam_copier.tf).
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
