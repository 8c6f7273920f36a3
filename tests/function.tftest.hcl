# modules/function on its own: the wiring the copier, the pruner and the reconciler rely on.
# Mocked provider (tests/mocks/function): no credentials or network; fixed ARNs where the tests need them.
mock_provider "aws" {
  source = "./tests/mocks/function"
}

variables {
  name         = "reports-pruner"
  description  = "Deletes old copies"
  handler      = "prune.lambda_handler"
  role_name    = "reports-pruner"
  package_path = "build/lambda.zip"
  package_hash = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
  account_id   = "111111111111"
  policy_json  = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"DeleteCopies\",\"Effect\":\"Allow\",\"Action\":\"rds:DeleteDBSnapshot\",\"Resource\":\"arn:aws:rds:eu-central-1:111111111111:snapshot:*\"}]}"
  environment = {
    KEEP_DAYS = "35"
  }
  dead_letter_target_arn = "arn:aws:sqs:eu-west-1:111111111111:reports-pruner-dlq"
  alarm_actions          = ["arn:aws:sns:eu-west-1:111111111111:on-call"]
  tags = {
    Team = "dba"
  }
}

run "role_policy_is_the_callers_plus_logs_and_dead_letter" {
  command = apply

  module {
    source = "./modules/function"
  }

  assert {
    condition     = data.aws_iam_policy_document.this.source_policy_documents == tolist([var.policy_json])
    error_message = "The role's policy must contain the caller's policy_json as it is."
  }

  assert {
    condition = {
      for s in data.aws_iam_policy_document.this.statement : s.sid => [toset(s.actions), toset(s.resources)]
      } == {
      WriteLogs  = [toset(["logs:CreateLogStream", "logs:PutLogEvents"]), toset(["arn:aws:logs:eu-west-1:111111111111:log-group:/aws/lambda/reports-pruner:*"])]
      DeadLetter = [toset(["sqs:SendMessage"]), toset(["arn:aws:sqs:eu-west-1:111111111111:reports-pruner-dlq"])]
    }
    error_message = "The module must add writing its own log group and sending to the dead-letter queue, nothing else."
  }

  assert {
    condition = (
      aws_iam_role_policy.this.policy == data.aws_iam_policy_document.this.json &&
      aws_iam_role_policy.this.role == aws_iam_role.this.id &&
      aws_iam_role_policy.this.name == "reports-pruner" &&
      output.role_policy_json == data.aws_iam_policy_document.this.json
    )
    error_message = "The merged document must be the role's inline policy, named like the role."
  }

  assert {
    condition     = aws_iam_role.this.name == "reports-pruner" && aws_iam_role.this.description == "Execution role of the reports-pruner function"
    error_message = "The role must be named role_name, with the default description."
  }

  assert {
    condition = [for s in data.aws_iam_policy_document.assume_role.statement : [
      toset(s.actions),
      [for p in s.principals : [p.type, toset(p.identifiers)]],
      [for c in s.condition : [c.test, c.variable, join(",", c.values)]],
    ]] == [[toset(["sts:AssumeRole"]), [["Service", toset(["lambda.amazonaws.com"])]], [["StringEquals", "aws:SourceAccount", "111111111111"]]]]
    error_message = "Only Lambda, on behalf of this account, may assume the role."
  }

  assert {
    condition     = aws_iam_role.this.assume_role_policy == data.aws_iam_policy_document.assume_role.json
    error_message = "The role must use the trust policy."
  }
}

run "function_settings" {
  command = apply

  module {
    source = "./modules/function"
  }

  assert {
    condition = (
      aws_lambda_function.this.function_name == "reports-pruner" &&
      aws_lambda_function.this.description == "Deletes old copies" &&
      aws_lambda_function.this.handler == "prune.lambda_handler" &&
      aws_lambda_function.this.runtime == "python3.13" &&
      aws_lambda_function.this.architectures == tolist(["arm64"]) &&
      aws_lambda_function.this.timeout == 60 &&
      aws_lambda_function.this.memory_size == 256 &&
      aws_lambda_function.this.reserved_concurrent_executions == -1 &&
      aws_lambda_function.this.role == aws_iam_role.this.arn
    )
    error_message = "Unexpected function settings (defaults: python3.13, arm64, 60 s, 256 MB, unreserved)."
  }

  assert {
    condition     = aws_lambda_function.this.filename == "build/lambda.zip" && aws_lambda_function.this.source_code_hash == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    error_message = "The function must deploy the given package."
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables == tomap({ KEEP_DAYS = "35" }) && output.function_environment == tomap({ KEEP_DAYS = "35" })
    error_message = "The function must get the given environment."
  }

  assert {
    condition = (
      aws_lambda_function.this.logging_config[0].log_format == "JSON" &&
      aws_lambda_function.this.logging_config[0].log_group == "/aws/lambda/reports-pruner" &&
      aws_lambda_function.this.logging_config[0].application_log_level == "INFO" &&
      aws_lambda_function.this.logging_config[0].system_log_level == "WARN"
    )
    error_message = "The function must log JSON to its log group, application INFO and system WARN."
  }

  assert {
    condition = (
      aws_cloudwatch_log_group.this.name == "/aws/lambda/reports-pruner" &&
      aws_cloudwatch_log_group.this.retention_in_days == 30 &&
      aws_cloudwatch_log_group.this.kms_key_id == null
    )
    error_message = "Unexpected log group settings (defaults: 30 days, CloudWatch Logs' own encryption)."
  }

  assert {
    condition     = aws_lambda_function.this.dead_letter_config[0].target_arn == var.dead_letter_target_arn && output.function_dead_letter_target_arn == var.dead_letter_target_arn
    error_message = "Failed asynchronous invocations must go to the dead-letter target."
  }

  assert {
    condition     = aws_lambda_function.this.tracing_config[0].mode == "PassThrough"
    error_message = "Tracing must be PassThrough."
  }

  assert {
    condition     = length(aws_lambda_function_event_invoke_config.this) == 0 && output.async_maximum_retry_attempts == null
    error_message = "Without async_maximum_retry_attempts the function must have no event invoke configuration (Lambda's defaults)."
  }

  assert {
    condition = (
      output.function_arn == aws_lambda_function.this.arn && output.function_name == "reports-pruner" &&
      output.role_arn == aws_iam_role.this.arn && output.role_name == "reports-pruner" &&
      output.log_group_name == aws_cloudwatch_log_group.this.name && output.log_group_arn == aws_cloudwatch_log_group.this.arn &&
      output.errors_alarm_arn == aws_cloudwatch_metric_alarm.errors.arn
    )
    error_message = "The outputs must describe the module's resources."
  }
}

run "settings_follow_variables" {
  command = apply

  module {
    source = "./modules/function"
  }

  variables {
    runtime                        = "python3.12"
    architecture                   = "x86_64"
    memory_size                    = 1024
    timeout                        = 900
    reserved_concurrent_executions = 0
    log_retention_in_days          = 365
    logs_kms_key_arn               = "arn:aws:kms:eu-west-1:111111111111:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    role_description               = "Prunes old copies"
    errors_alarm_description       = "The pruner failed."
    async_maximum_retry_attempts   = 0
  }

  assert {
    condition = (
      aws_lambda_function.this.runtime == "python3.12" &&
      aws_lambda_function.this.architectures == tolist(["x86_64"]) &&
      aws_lambda_function.this.memory_size == 1024 &&
      aws_lambda_function.this.timeout == 900 &&
      aws_lambda_function.this.reserved_concurrent_executions == 0 &&
      aws_iam_role.this.description == "Prunes old copies" &&
      aws_cloudwatch_metric_alarm.errors.alarm_description == "The pruner failed."
    )
    error_message = "The function settings must follow the variables."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.retention_in_days == 365 && aws_cloudwatch_log_group.this.kms_key_id == var.logs_kms_key_arn
    error_message = "The log group must follow the variables."
  }

  # 0 is a setting, not "unset": the invoke configuration exists and allows no retry.
  assert {
    condition = (
      length(aws_lambda_function_event_invoke_config.this) == 1 &&
      aws_lambda_function_event_invoke_config.this[0].function_name == "reports-pruner" &&
      aws_lambda_function_event_invoke_config.this[0].maximum_retry_attempts == 0 &&
      output.async_maximum_retry_attempts == 0
    )
    error_message = "async_maximum_retry_attempts must configure the function's asynchronous retries."
  }
}

run "async_retries" {
  command = apply

  module {
    source = "./modules/function"
  }

  variables {
    async_maximum_retry_attempts = 2
  }

  assert {
    condition = (
      aws_lambda_function_event_invoke_config.this[0].function_name == aws_lambda_function.this.function_name &&
      aws_lambda_function_event_invoke_config.this[0].maximum_retry_attempts == 2 &&
      output.async_maximum_retry_attempts == 2
    )
    error_message = "Two retries of a failed asynchronous invocation, then the dead-letter target."
  }
}

run "errors_alarm" {
  command = apply

  module {
    source = "./modules/function"
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.errors.alarm_name == "reports-pruner-function-errors" &&
      aws_cloudwatch_metric_alarm.errors.alarm_description == "The reports-pruner function failed." &&
      aws_cloudwatch_metric_alarm.errors.namespace == "AWS/Lambda" &&
      aws_cloudwatch_metric_alarm.errors.metric_name == "Errors" &&
      aws_cloudwatch_metric_alarm.errors.dimensions == tomap({ FunctionName = "reports-pruner" }) &&
      aws_cloudwatch_metric_alarm.errors.statistic == "Sum" &&
      aws_cloudwatch_metric_alarm.errors.period == 300 &&
      aws_cloudwatch_metric_alarm.errors.evaluation_periods == 1 &&
      aws_cloudwatch_metric_alarm.errors.comparison_operator == "GreaterThanOrEqualToThreshold" &&
      aws_cloudwatch_metric_alarm.errors.threshold == 1 &&
      aws_cloudwatch_metric_alarm.errors.treat_missing_data == "notBreaching"
    )
    error_message = "The errors alarm must fire on one error of this function in five minutes."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.errors.alarm_actions == toset(["arn:aws:sns:eu-west-1:111111111111:on-call"]) &&
      aws_cloudwatch_metric_alarm.errors.ok_actions == toset(["arn:aws:sns:eu-west-1:111111111111:on-call"])
    )
    error_message = "The errors alarm must notify alarm_actions on ALARM and OK."
  }

  assert {
    condition = alltrue([
      for tags in [
        aws_lambda_function.this.tags, aws_cloudwatch_log_group.this.tags, aws_iam_role.this.tags, aws_cloudwatch_metric_alarm.errors.tags,
      ] : tags == tomap({ Team = "dba" })
    ])
    error_message = "Every resource must carry the tags."
  }
}

run "without_dead_letter_target_or_environment" {
  command = apply

  module {
    source = "./modules/function"
  }

  variables {
    dead_letter_target_arn = null
    environment            = {}
    alarm_actions          = []
  }

  assert {
    condition     = [for s in data.aws_iam_policy_document.this.statement : s.sid] == ["WriteLogs"]
    error_message = "Without a dead-letter target the module adds only WriteLogs."
  }

  assert {
    condition     = length(aws_lambda_function.this.dead_letter_config) == 0 && output.function_dead_letter_target_arn == null
    error_message = "Without a dead-letter target the function must have no dead-letter config."
  }

  assert {
    condition     = length(aws_lambda_function.this.environment) == 0 && output.function_environment == tomap({})
    error_message = "An empty environment must leave the function without an environment block."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.errors.alarm_actions) == 0 && length(aws_cloudwatch_metric_alarm.errors.ok_actions) == 0
    error_message = "Without alarm_actions the errors alarm has no actions."
  }
}

# The schedule: nothing without one (the copier is invoked from its queue), the rule, its target and the
# permission with one.
run "no_schedule" {
  command = apply

  module {
    source = "./modules/function"
  }

  assert {
    condition = (
      length(aws_cloudwatch_event_rule.schedule) == 0 &&
      length(aws_cloudwatch_event_target.schedule) == 0 &&
      length(aws_lambda_permission.schedule) == 0
    )
    error_message = "Without a schedule there must be no rule, target or permission."
  }

  assert {
    condition     = output.schedule == null && output.schedule_rule_arn == null && output.schedule_rule_name == null
    error_message = "Without a schedule its outputs must be null."
  }
}

run "schedule" {
  command = apply

  module {
    source = "./modules/function"
  }

  variables {
    schedule = {
      expression      = "cron(0 3 * * ? *)"
      rule_name       = "reports-pruner-schedule"
      description     = "Runs reports-pruner"
      statement_id    = "AllowPrunerSchedule"
      dead_letter_arn = "arn:aws:sqs:eu-west-1:111111111111:reports-scheduled-dlq"
    }
  }

  assert {
    condition = (
      length(aws_cloudwatch_event_rule.schedule) == 1 &&
      aws_cloudwatch_event_rule.schedule[0].name == "reports-pruner-schedule" &&
      aws_cloudwatch_event_rule.schedule[0].description == "Runs reports-pruner" &&
      aws_cloudwatch_event_rule.schedule[0].schedule_expression == "cron(0 3 * * ? *)" &&
      aws_cloudwatch_event_rule.schedule[0].event_pattern == null &&
      aws_cloudwatch_event_rule.schedule[0].tags == tomap({ Team = "dba" })
    )
    error_message = "The rule must follow the schedule and carry the tags."
  }

  assert {
    condition = (
      length(aws_cloudwatch_event_target.schedule) == 1 &&
      aws_cloudwatch_event_target.schedule[0].rule == "reports-pruner-schedule" &&
      aws_cloudwatch_event_target.schedule[0].target_id == "reports-pruner" &&
      aws_cloudwatch_event_target.schedule[0].arn == "arn:aws:lambda:eu-west-1:111111111111:function:reports-pruner"
    )
    error_message = "The rule's one target must be the function, named like it."
  }

  # The defaults: a missed run is made up by the next one, so an hour of retries, not EventBridge's day.
  assert {
    condition = (
      aws_cloudwatch_event_target.schedule[0].retry_policy[0].maximum_event_age_in_seconds == 3600 &&
      aws_cloudwatch_event_target.schedule[0].retry_policy[0].maximum_retry_attempts == 10 &&
      aws_cloudwatch_event_target.schedule[0].dead_letter_config[0].arn == "arn:aws:sqs:eu-west-1:111111111111:reports-scheduled-dlq"
    )
    error_message = "Undeliverable events must be retried for an hour, ten times, then go to dead_letter_arn."
  }

  assert {
    condition = (
      length(aws_lambda_permission.schedule) == 1 &&
      aws_lambda_permission.schedule[0].statement_id == "AllowPrunerSchedule" &&
      aws_lambda_permission.schedule[0].action == "lambda:InvokeFunction" &&
      aws_lambda_permission.schedule[0].function_name == aws_lambda_function.this.function_name &&
      aws_lambda_permission.schedule[0].principal == "events.amazonaws.com" &&
      aws_lambda_permission.schedule[0].source_arn == "arn:aws:events:eu-west-1:111111111111:rule/reports-pruner-schedule"
    )
    error_message = "Only EventBridge, for this rule, may invoke the function."
  }

  assert {
    condition = (
      output.schedule_rule_arn == "arn:aws:events:eu-west-1:111111111111:rule/reports-pruner-schedule" &&
      output.schedule_rule_name == "reports-pruner-schedule" &&
      output.schedule == {
        rule_name                    = "reports-pruner-schedule"
        rule_arn                     = "arn:aws:events:eu-west-1:111111111111:rule/reports-pruner-schedule"
        expression                   = "cron(0 3 * * ? *)"
        target_id                    = "reports-pruner"
        dead_letter_arn              = "arn:aws:sqs:eu-west-1:111111111111:reports-scheduled-dlq"
        maximum_event_age_in_seconds = 3600
        maximum_retry_attempts       = 10
        statement_id                 = "AllowPrunerSchedule"
      }
    )
    error_message = "The outputs must describe the schedule as created: ${jsonencode(output.schedule)}"
  }
}

run "schedule_retries_without_dead_letter" {
  command = apply

  module {
    source = "./modules/function"
  }

  variables {
    schedule = {
      expression                   = "rate(15 minutes)"
      rule_name                    = "reports-pruner-schedule"
      statement_id                 = "AllowPrunerSchedule"
      maximum_event_age_in_seconds = 600
      maximum_retry_attempts       = 0
    }
  }

  assert {
    condition = (
      aws_cloudwatch_event_target.schedule[0].retry_policy[0].maximum_event_age_in_seconds == 600 &&
      aws_cloudwatch_event_target.schedule[0].retry_policy[0].maximum_retry_attempts == 0 &&
      length(aws_cloudwatch_event_target.schedule[0].dead_letter_config) == 0 &&
      output.schedule.dead_letter_arn == null
    )
    error_message = "The retry policy must follow the schedule, and without dead_letter_arn there must be no dead-letter config."
  }
}

run "policy_json_with_a_reserved_sid" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    policy_json = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"WriteLogs\",\"Effect\":\"Allow\",\"Action\":\"logs:*\",\"Resource\":\"*\"}]}"
  }

  expect_failures = [var.policy_json]
}

run "policy_json_not_a_policy" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    policy_json = "rds:DeleteDBSnapshot"
  }

  expect_failures = [var.policy_json]
}

run "dead_letter_target_not_a_queue" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    dead_letter_target_arn = "arn:aws:sns:eu-west-1:111111111111:on-call"
  }

  expect_failures = [var.dead_letter_target_arn]
}

run "function_name" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    name = "reports pruner"
  }

  expect_failures = [var.name]
}

run "handler_without_function" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    handler = "prune"
  }

  expect_failures = [var.handler]
}

run "role_name_too_long" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    role_name = "a234567890123456789012345678901234567890123456789012345678901234x"
  }

  expect_failures = [var.role_name]
}

run "account_id" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    account_id = "11111111111"
  }

  expect_failures = [var.account_id]
}

run "package" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    package_path = "build/lambda.tar.gz"
    package_hash = "d41d8cd98f00b204e9800998ecf8427e"
  }

  expect_failures = [var.package_path, var.package_hash]
}

run "sizes" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    architecture                   = "arm32"
    memory_size                    = 64
    timeout                        = 901
    reserved_concurrent_executions = -2
  }

  expect_failures = [var.architecture, var.memory_size, var.timeout, var.reserved_concurrent_executions]
}

run "logs" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    log_retention_in_days = 31
    logs_kms_key_arn      = "alias/aws/logs"
  }

  expect_failures = [var.log_retention_in_days, var.logs_kms_key_arn]
}

run "async_retries_out_of_range" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    async_maximum_retry_attempts = 3
  }

  expect_failures = [var.async_maximum_retry_attempts]
}

run "schedule_expression" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    schedule = {
      expression   = "daily"
      rule_name    = "reports-pruner-schedule"
      statement_id = "AllowPrunerSchedule"
    }
  }

  expect_failures = [var.schedule]
}

run "schedule_names" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    schedule = {
      expression   = "rate(1 day)"
      rule_name    = "reports pruner"
      statement_id = "Allow:Schedule"
    }
  }

  expect_failures = [var.schedule]
}

run "schedule_dead_letter_not_a_queue" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    schedule = {
      expression      = "rate(1 day)"
      rule_name       = "reports-pruner-schedule"
      statement_id    = "AllowPrunerSchedule"
      dead_letter_arn = "arn:aws:sns:eu-west-1:111111111111:on-call"
    }
  }

  expect_failures = [var.schedule]
}

run "schedule_retries_out_of_range" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    schedule = {
      expression                   = "rate(1 day)"
      rule_name                    = "reports-pruner-schedule"
      statement_id                 = "AllowPrunerSchedule"
      maximum_event_age_in_seconds = 59
      maximum_retry_attempts       = 186
    }
  }

  expect_failures = [var.schedule]
}
