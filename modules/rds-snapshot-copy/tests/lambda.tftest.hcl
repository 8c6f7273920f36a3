# Mocked providers (tests/mocks): no credentials or network; fixed ARNs where the tests need them.
mock_provider "aws" {
  alias  = "source"
  source = "./tests/mocks/source"
}

mock_provider "aws" {
  alias  = "destination"
  source = "./tests/mocks/destination"
}

variables {
  lambda_package_path = "build/lambda.zip"
  lambda_package_hash = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
}

run "function_defaults" {
  command = apply

  assert {
    condition = aws_lambda_function.this.environment[0].variables == tomap({
      SOURCE_REGION                  = "eu-west-1"
      DESTINATION_REGION             = "eu-central-1"
      DESTINATION_REGION_KMS_KEY_ID  = "arn:aws:kms:eu-central-1:111111111111:key/11111111-2222-3333-4444-555555555555"
      ENABLED_EVENT_IDS              = "RDS-EVENT-0042,RDS-EVENT-0075,RDS-EVENT-0091,RDS-EVENT-0169"
      DEAD_LETTER_QUEUE_URL          = "https://sqs.eu-west-1.amazonaws.com/111111111111/rds-snapshot-copy-dlq"
      MAX_DB_COPIES_IN_PROGRESS      = "20"
      MAX_CLUSTER_COPIES_IN_PROGRESS = "5"
      MAX_RECEIVE_COUNT              = "596"
      MAX_WAIT_SECONDS               = "259200"
      WAIT_DELAY_MAX_SECONDS         = "900"
      MAX_ERROR_TRIES                = "3"
      METRIC_NAMESPACE               = "RdsSnapshotCopy"
    })
    error_message = "Unexpected environment: ${jsonencode(aws_lambda_function.this.environment[0].variables)}"
  }

  assert {
    condition     = output.lambda_environment == aws_lambda_function.this.environment[0].variables
    error_message = "The lambda_environment output must be the function's environment."
  }

  assert {
    condition = (
      aws_lambda_function.this.function_name == "rds-snapshot-copy" &&
      aws_lambda_function.this.handler == "copy_snapshot.lambda_handler" &&
      aws_lambda_function.this.runtime == "python3.13" &&
      aws_lambda_function.this.architectures == tolist(["arm64"]) &&
      aws_lambda_function.this.timeout == 60 &&
      aws_lambda_function.this.memory_size == 256 &&
      aws_lambda_function.this.reserved_concurrent_executions == -1
    )
    error_message = "Unexpected function settings."
  }

  assert {
    condition     = aws_lambda_function.this.filename == "build/lambda.zip" && aws_lambda_function.this.source_code_hash == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    error_message = "The function must deploy the given package."
  }

  assert {
    condition     = aws_lambda_function.this.role == aws_iam_role.copier.arn
    error_message = "The function must run as the copier role."
  }

  assert {
    condition = (
      aws_lambda_function.this.logging_config[0].log_format == "JSON" &&
      aws_lambda_function.this.logging_config[0].log_group == "/aws/lambda/rds-snapshot-copy" &&
      aws_lambda_function.this.logging_config[0].application_log_level == "INFO" &&
      aws_lambda_function.this.logging_config[0].system_log_level == "WARN"
    )
    error_message = "The function must log JSON to its log group."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.name == "/aws/lambda/rds-snapshot-copy" && aws_cloudwatch_log_group.this.retention_in_days == 30 && aws_cloudwatch_log_group.this.kms_key_id == null
    error_message = "Unexpected log group settings."
  }

  assert {
    condition     = aws_lambda_function.this.dead_letter_config[0].target_arn == aws_sqs_queue.dead_letter.arn
    error_message = "Asynchronous invocations that fail must be dead-lettered to the dead-letter queue."
  }

  assert {
    condition = (
      aws_lambda_event_source_mapping.this.event_source_arn == aws_sqs_queue.this.arn &&
      aws_lambda_event_source_mapping.this.function_name == aws_lambda_function.this.arn &&
      aws_lambda_event_source_mapping.this.batch_size == 10 &&
      aws_lambda_event_source_mapping.this.maximum_batching_window_in_seconds == 10 &&
      aws_lambda_event_source_mapping.this.function_response_types == toset(["ReportBatchItemFailures"]) &&
      aws_lambda_event_source_mapping.this.scaling_config[0].maximum_concurrency == 2
    )
    error_message = "The events queue must feed the function with partial batch responses."
  }
}

run "function_settings_follow_variables" {
  command = apply

  variables {
    name                               = "copies"
    option_group_name                  = "tde-copies"
    lambda_architecture                = "x86_64"
    lambda_memory_size                 = 512
    lambda_timeout                     = 300
    reserved_concurrent_executions     = 5
    event_source_maximum_concurrency   = 5
    batch_size                         = 50
    maximum_batching_window_in_seconds = 20
    log_retention_in_days              = 365
    cloudwatch_logs_kms_key_arn        = "arn:aws:kms:eu-west-1:111111111111:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    max_db_copies_in_progress          = 10
    max_cluster_copies_in_progress     = 2
    copy_wait_max_hours                = 24
    wait_delay_max_seconds             = 600
    max_error_tries                    = 7
    metric_namespace                   = "Backups/Rds"
    tags                               = { Team = "dba" }
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["OPTION_GROUP_NAME"] == "tde-copies"
    error_message = "OPTION_GROUP_NAME must be set when option_group_name is."
  }

  # ceil(24 h / (600 s / 2)) + 20 = 308.
  assert {
    condition = (
      aws_lambda_function.this.environment[0].variables["MAX_RECEIVE_COUNT"] == "308" &&
      aws_lambda_function.this.environment[0].variables["MAX_WAIT_SECONDS"] == "86400" &&
      aws_lambda_function.this.environment[0].variables["WAIT_DELAY_MAX_SECONDS"] == "600" &&
      aws_lambda_function.this.environment[0].variables["MAX_ERROR_TRIES"] == "7" &&
      aws_lambda_function.this.environment[0].variables["MAX_DB_COPIES_IN_PROGRESS"] == "10" &&
      aws_lambda_function.this.environment[0].variables["MAX_CLUSTER_COPIES_IN_PROGRESS"] == "2" &&
      aws_lambda_function.this.environment[0].variables["METRIC_NAMESPACE"] == "Backups/Rds"
    )
    error_message = "Unexpected environment: ${jsonencode(aws_lambda_function.this.environment[0].variables)}"
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.this.redrive_policy).maxReceiveCount == 309
    error_message = "SQS must dead-letter one receive after the function would have."
  }

  assert {
    condition = (
      aws_lambda_function.this.function_name == "copies" &&
      aws_lambda_function.this.architectures == tolist(["x86_64"]) &&
      aws_lambda_function.this.memory_size == 512 &&
      aws_lambda_function.this.timeout == 300 &&
      aws_lambda_function.this.reserved_concurrent_executions == 5
    )
    error_message = "The function settings must follow the variables."
  }

  assert {
    condition = (
      aws_lambda_event_source_mapping.this.batch_size == 50 &&
      aws_lambda_event_source_mapping.this.maximum_batching_window_in_seconds == 20 &&
      aws_lambda_event_source_mapping.this.scaling_config[0].maximum_concurrency == 5
    )
    error_message = "The event source mapping must follow the variables."
  }

  assert {
    condition = (
      aws_cloudwatch_log_group.this.name == "/aws/lambda/copies" &&
      aws_cloudwatch_log_group.this.retention_in_days == 365 &&
      aws_cloudwatch_log_group.this.kms_key_id == "arn:aws:kms:eu-west-1:111111111111:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    )
    error_message = "The log group must follow the variables."
  }

  assert {
    condition = alltrue([
      for tags in [
        aws_lambda_function.this.tags, aws_lambda_event_source_mapping.this.tags, aws_cloudwatch_log_group.this.tags,
        aws_sqs_queue.this.tags, aws_sqs_queue.dead_letter.tags, aws_cloudwatch_event_rule.this.tags,
        aws_iam_role.copier.tags, aws_kms_key.this[0].tags, aws_cloudwatch_metric_alarm.function_errors.tags,
      ] : tags == tomap({ Team = "dba" })
    ])
    error_message = "Every resource must carry the tags."
  }
}

run "no_option_group_by_default" {
  command = apply

  assert {
    condition     = !contains(keys(aws_lambda_function.this.environment[0].variables), "OPTION_GROUP_NAME")
    error_message = "OPTION_GROUP_NAME must be absent when no option group is set."
  }
}
