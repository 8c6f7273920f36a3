resource "aws_cloudwatch_log_group" "this" {
  provider = aws.source

  #checkov:skip=CKV_AWS_338:Retention is the caller's choice (log_retention_in_days); these are operational logs and a year's retention by default would only add cost.
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.cloudwatch_logs_kms_key_arn

  tags = var.tags
}

resource "aws_lambda_function" "this" {
  provider = aws.source

  #checkov:skip=CKV_AWS_117:The function only calls regional AWS APIs; a VPC would add NAT or endpoints for no isolation gain.
  #checkov:skip=CKV_AWS_173:The environment holds only region names, ARNs and limits, no secrets; Lambda encrypts it at rest already.
  #checkov:skip=CKV_AWS_272:The package is built from this repository by Terraform itself; code signing needs a signing profile the caller may not have.
  function_name = var.name
  description   = "Copies new RDS snapshots from ${local.source_region} to ${local.destination_region}"
  role          = aws_iam_role.copier.arn
  handler       = "copy_snapshot.lambda_handler"
  runtime       = local.lambda_runtime
  architectures = [var.lambda_architecture]

  filename         = var.lambda_package_path
  source_code_hash = var.lambda_package_hash

  timeout                        = var.lambda_timeout
  memory_size                    = var.lambda_memory_size
  reserved_concurrent_executions = var.reserved_concurrent_executions

  environment {
    variables = local.lambda_environment
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.this.name
    application_log_level = "INFO"
    system_log_level      = "WARN"
  }

  # For direct asynchronous invocations (a backfill, say): failures land next to the rule's.
  dead_letter_config {
    target_arn = aws_sqs_queue.dead_letter.arn
  }

  # PassThrough costs nothing and keeps a caller's trace header if there is one.
  tracing_config {
    mode = "PassThrough"
  }

  tags = var.tags

  # Without these the first invocation could create an unmanaged log group or run without permissions.
  depends_on = [
    aws_cloudwatch_log_group.this,
    aws_iam_role_policy.copier,
  ]
}

resource "aws_lambda_event_source_mapping" "this" {
  provider = aws.source

  event_source_arn                   = aws_sqs_queue.this.arn
  function_name                      = aws_lambda_function.this.arn
  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.maximum_batching_window_in_seconds
  # The function reports the messages that must wait or retry; the rest of the batch is deleted.
  function_response_types = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.event_source_maximum_concurrency
  }

  tags = var.tags
}
