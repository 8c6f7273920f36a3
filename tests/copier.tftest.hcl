# Mocked providers (tests/mocks): no credentials or network; fixed ARNs where the tests need them.
# The copier is a call of modules/function: here, what the module passes it (read back through the
# submodule's outputs); how the submodule builds the function from that, in function.tftest.hcl.
mock_provider "aws" {
  alias  = "source"
  source = "./tests/mocks/source"
}

mock_provider "aws" {
  alias  = "destination"
  source = "./tests/mocks/destination"
}

mock_provider "archive" {
  source = "./tests/mocks/archive"
}

variables {
  # terraform test destroys what it applied; the protected key would refuse.
  kms_key_prevent_destroy = false
}

run "function_defaults" {
  command = apply

  assert {
    condition = module.copier.function_environment == tomap({
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
      REQUESTS_TABLE                 = "rds-snapshot-copy-copy-requests"
      SOURCE_FILTER                  = "{\"exclude_identifiers\":[],\"exclude_tags\":{},\"include_identifiers\":[],\"include_tags\":{}}"
      DEPLOYMENT_NAME                = "rds-snapshot-copy"
    })
    error_message = "Unexpected environment: ${jsonencode(module.copier.function_environment)}"
  }

  assert {
    condition     = output.copier_environment == module.copier.function_environment
    error_message = "The copier_environment output must be the function's environment."
  }

  assert {
    condition = (
      module.copier.function_name == "rds-snapshot-copy" &&
      output.copier_function_name == "rds-snapshot-copy" &&
      module.copier.function_handler == "copy_snapshot.lambda_handler" &&
      module.copier.function_runtime == "python3.13" &&
      module.copier.function_architecture == "arm64" &&
      module.copier.function_timeout == 60 &&
      module.copier.function_memory_size == 256 &&
      module.copier.function_reserved_concurrent_executions == -1
    )
    error_message = "Unexpected function settings."
  }

  assert {
    condition     = module.copier.function_source_code_hash == data.archive_file.lambda[0].output_base64sha256
    error_message = "The function must deploy the module's own package (package.tf)."
  }

  assert {
    condition     = module.copier.role_name == "rds-snapshot-copy-copier"
    error_message = "The function must run as the copier role."
  }

  assert {
    condition = (
      module.copier.log_group_name == "/aws/lambda/rds-snapshot-copy" && output.copier_log_group_name == "/aws/lambda/rds-snapshot-copy" &&
      module.copier.log_group_retention_in_days == 30 && module.copier.log_group_kms_key_arn == null
    )
    error_message = "Unexpected log group settings."
  }

  assert {
    condition     = module.copier.function_dead_letter_target_arn == aws_sqs_queue.dead_letter.arn
    error_message = "Asynchronous invocations that fail must be dead-lettered to the dead-letter queue."
  }

  assert {
    condition = (
      aws_lambda_event_source_mapping.this.event_source_arn == aws_sqs_queue.this.arn &&
      aws_lambda_event_source_mapping.this.function_name == module.copier.function_arn &&
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
    copier_memory_size                 = 512
    copier_timeout                     = 300
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
    condition     = module.copier.function_environment["OPTION_GROUP_NAME"] == "tde-copies"
    error_message = "OPTION_GROUP_NAME must be set when option_group_name is."
  }

  # ceil(24 h / (600 s / 2)) + 20 = 308.
  assert {
    condition = (
      module.copier.function_environment["MAX_RECEIVE_COUNT"] == "308" &&
      module.copier.function_environment["MAX_WAIT_SECONDS"] == "86400" &&
      module.copier.function_environment["WAIT_DELAY_MAX_SECONDS"] == "600" &&
      module.copier.function_environment["MAX_ERROR_TRIES"] == "7" &&
      module.copier.function_environment["MAX_DB_COPIES_IN_PROGRESS"] == "10" &&
      module.copier.function_environment["MAX_CLUSTER_COPIES_IN_PROGRESS"] == "2" &&
      module.copier.function_environment["METRIC_NAMESPACE"] == "Backups/Rds" &&
      module.copier.function_environment["REQUESTS_TABLE"] == "copies-copy-requests"
    )
    error_message = "Unexpected environment: ${jsonencode(module.copier.function_environment)}"
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.this.redrive_policy).maxReceiveCount == 309
    error_message = "SQS must dead-letter one receive after the function would have."
  }

  assert {
    condition = (
      module.copier.function_name == "copies" &&
      module.copier.role_name == "copies-copier" &&
      module.copier.function_architecture == "x86_64" &&
      module.copier.function_memory_size == 512 &&
      module.copier.function_timeout == 300 &&
      module.copier.function_reserved_concurrent_executions == 5
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
      module.copier.log_group_name == "/aws/lambda/copies" &&
      module.copier.log_group_retention_in_days == 365 &&
      module.copier.log_group_kms_key_arn == "arn:aws:kms:eu-west-1:111111111111:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    )
    error_message = "The log group must follow the variables."
  }

  # The resources in modules/function carry the tags they are given (function.tftest.hcl).
  assert {
    condition = alltrue([
      for tags in concat([
        aws_lambda_event_source_mapping.this.tags, aws_sqs_queue.this.tags, aws_sqs_queue.dead_letter.tags,
        aws_cloudwatch_event_rule.this.tags, aws_kms_key.disposable[0].tags,
      ], [for alarm in aws_cloudwatch_metric_alarm.this : alarm.tags]) : tags == tomap({ Team = "dba" })
    ])
    error_message = "Every resource must carry the tags."
  }
}

run "no_option_group_by_default" {
  command = apply

  assert {
    condition     = !contains(keys(module.copier.function_environment), "OPTION_GROUP_NAME")
    error_message = "OPTION_GROUP_NAME must be absent when no option group is set."
  }
}
