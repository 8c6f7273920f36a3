# The reconciler (reconciler.tf, iam_reconciler.tf), its schedule, the copy requests table (copy_requests.tf)
# and the recovery point alarm (alarms.tf). The validations of its variables are in validation.tftest.hcl;
# the scheduled dead-letter queue's policy, which admits both schedules, in pruner.tftest.hcl.
# Mocked providers (tests/mocks): no credentials or network; fixed ARNs where the tests need them.
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

run "reconciler_function" {
  command = apply

  assert {
    condition = (
      module.reconciler.function_name == "rds-snapshot-copy-reconcile" &&
      module.reconciler.function_handler == "reconcile_snapshots.lambda_handler" &&
      module.reconciler.function_runtime == "python3.13" &&
      module.reconciler.function_architecture == "arm64" &&
      module.reconciler.function_timeout == 900 &&
      module.reconciler.function_memory_size == 512 &&
      module.reconciler.function_reserved_concurrent_executions == -1 &&
      module.reconciler.role_name == "rds-snapshot-copy-reconciler"
    )
    error_message = "Unexpected reconciler settings (<name>-reconcile, reconcile_snapshots.lambda_handler, 900 s, 512 MB, role <name>-reconciler)."
  }

  assert {
    condition     = module.reconciler.function_source_code_hash == module.copier.function_source_code_hash && module.reconciler.function_source_code_hash == data.archive_file.lambda[0].output_base64sha256
    error_message = "The reconciler must run the same package as the copier."
  }

  assert {
    condition = module.reconciler.function_environment == tomap({
      SOURCE_REGION         = "eu-west-1"
      DESTINATION_REGION    = "eu-central-1"
      COPY_QUEUE_URL        = "https://sqs.eu-west-1.amazonaws.com/111111111111/rds-snapshot-copy-events"
      RETENTION_DAYS        = "35"
      RPO_HOURS             = "26"
      ENABLED_EVENT_IDS     = "RDS-EVENT-0042,RDS-EVENT-0075,RDS-EVENT-0091,RDS-EVENT-0169"
      SOURCE_FILTER         = "{\"exclude_identifiers\":[],\"exclude_tags\":{},\"include_identifiers\":[],\"include_tags\":{}}"
      REQUESTS_TABLE        = "rds-snapshot-copy-copy-requests"
      GRACE_MINUTES         = "15"
      REREQUEST_AFTER_HOURS = "73"
      PER_SOURCE_METRICS    = "false"
      METRIC_NAMESPACE      = "RdsSnapshotCopy"
      DEPLOYMENT_NAME       = "rds-snapshot-copy"
      # The pruner's rules, for `status`'s steady-state sizing (the reconciler does not apply them).
      KEEP_LAST            = "3"
      PRUNE_RETENTION_DAYS = "35"
    })
    error_message = "Unexpected reconciler environment: ${jsonencode(module.reconciler.function_environment)}"
  }

  # The copier's and the reconciler's settings of the same facts must not drift apart.
  assert {
    condition = alltrue([
      for key in ["SOURCE_REGION", "DESTINATION_REGION", "ENABLED_EVENT_IDS", "SOURCE_FILTER", "REQUESTS_TABLE", "METRIC_NAMESPACE", "DEPLOYMENT_NAME"] :
      module.reconciler.function_environment[key] == module.copier.function_environment[key]
    ]) && module.reconciler.function_environment["COPY_QUEUE_URL"] == output.queue_url
    error_message = "The reconciler must watch what the copier copies, and enqueue on the copier's queue."
  }

  assert {
    condition = (
      module.reconciler.log_group_name == "/aws/lambda/rds-snapshot-copy-reconcile" &&
      module.reconciler.log_group_retention_in_days == 30 && module.reconciler.log_group_kms_key_arn == null
    )
    error_message = "The reconciler must log to its own log group, with the module's retention."
  }

  # Lambda's own dead-letter target for the asynchronous invocations of the schedule, after two retries.
  assert {
    condition     = module.reconciler.function_dead_letter_target_arn == aws_sqs_queue.scheduled_dead_letter.arn && module.reconciler.async_maximum_retry_attempts == 2
    error_message = "A failed scheduled run must be retried twice, then go to the scheduled dead-letter queue."
  }

  assert {
    condition     = module.reconciler.errors_alarm_name == "rds-snapshot-copy-reconcile-function-errors" && output.alarm_arns["reconcile_function_errors"] == module.reconciler.errors_alarm_arn
    error_message = "The reconciler must have its errors alarm, listed in alarm_arns."
  }

  assert {
    condition = (
      output.reconciler_function_name == module.reconciler.function_name &&
      output.reconciler_function_arn == module.reconciler.function_arn &&
      output.reconciler_role_arn == module.reconciler.role_arn &&
      output.copy_requests_table_name == "rds-snapshot-copy-copy-requests"
    )
    error_message = "The outputs must describe the reconciler and the copy requests table."
  }
}

run "schedule" {
  command = apply

  # How the rule, its target and the permission are wired is modules/function's (function.tftest.hcl);
  # here, what the reconciler asks of it.
  assert {
    condition = module.reconciler.schedule == {
      rule_name                    = "rds-snapshot-copy-reconcile"
      rule_arn                     = module.reconciler.schedule_rule_arn
      expression                   = "rate(1 hour)"
      target_id                    = "rds-snapshot-copy-reconcile"
      dead_letter_arn              = aws_sqs_queue.scheduled_dead_letter.arn
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 10
      statement_id                 = "AllowReconcileSchedule"
    }
    error_message = "The reconciler must run on its schedule (rate(1 hour) by default), retried for an hour, then dead-lettered to the scheduled queue: ${jsonencode(module.reconciler.schedule)}"
  }

  assert {
    condition     = module.reconciler.schedule_rule_name == "rds-snapshot-copy-reconcile" && module.reconciler.schedule_rule_arn == "arn:aws:events:eu-west-1:111111111111:rule/rds-snapshot-copy-reconcile"
    error_message = "The reconciler's schedule rule must be named rds-snapshot-copy-reconcile."
  }

  # The scheduled dead-letter queue takes the reconciler's failed deliveries too (pruner.tftest.hcl in full).
  assert {
    condition     = contains(one(data.aws_iam_policy_document.scheduled_dead_letter_queue.statement[0].condition).values, module.reconciler.schedule_rule_arn)
    error_message = "The scheduled dead-letter queue's policy must admit the reconciler's schedule rule."
  }
}

run "copy_requests_table" {
  command = apply

  assert {
    condition = (
      aws_dynamodb_table.copy_requests.name == "rds-snapshot-copy-copy-requests" &&
      aws_dynamodb_table.copy_requests.billing_mode == "PAY_PER_REQUEST" &&
      aws_dynamodb_table.copy_requests.hash_key == "source_snapshot_arn" &&
      aws_dynamodb_table.copy_requests.range_key == null &&
      [for a in aws_dynamodb_table.copy_requests.attribute : [a.name, a.type]] == [["source_snapshot_arn", "S"]]
    )
    error_message = "The copy requests table is <name>-copy-requests, on demand, keyed by the source snapshot ARN (a string)."
  }

  assert {
    condition     = [for t in aws_dynamodb_table.copy_requests.ttl : [t.attribute_name, t.enabled]] == [["expires_at", true]]
    error_message = "Items must expire through DynamoDB's TTL on expires_at."
  }

  assert {
    condition = (
      module.copier.function_environment["REQUESTS_TABLE"] == aws_dynamodb_table.copy_requests.name &&
      module.reconciler.function_environment["REQUESTS_TABLE"] == aws_dynamodb_table.copy_requests.name &&
      output.copier_environment["REQUESTS_TABLE"] == "rds-snapshot-copy-copy-requests"
    )
    error_message = "Both functions must be given the table (REQUESTS_TABLE)."
  }
}

run "recovery_point_alarm" {
  command = apply

  assert {
    condition = [
      aws_cloudwatch_metric_alarm.this["recovery_point"].alarm_name,
      aws_cloudwatch_metric_alarm.this["recovery_point"].namespace,
      aws_cloudwatch_metric_alarm.this["recovery_point"].metric_name,
      aws_cloudwatch_metric_alarm.this["recovery_point"].dimensions,
      aws_cloudwatch_metric_alarm.this["recovery_point"].statistic,
      aws_cloudwatch_metric_alarm.this["recovery_point"].period,
      aws_cloudwatch_metric_alarm.this["recovery_point"].evaluation_periods,
      aws_cloudwatch_metric_alarm.this["recovery_point"].datapoints_to_alarm,
      aws_cloudwatch_metric_alarm.this["recovery_point"].comparison_operator,
      aws_cloudwatch_metric_alarm.this["recovery_point"].threshold,
      ] == [
      "rds-snapshot-copy-recovery-point", "RdsSnapshotCopy", "SourcesPastRpo",
      tomap({ FunctionName = "rds-snapshot-copy-reconcile" }),
      "Maximum", 3600, 2, 2, "GreaterThanOrEqualToThreshold", 1,
    ]
    error_message = "The recovery point alarm fires when the reconciler counts one source or more past rpo_hours in two hourly periods."
  }

  # Silence must never read as health: no data from the reconciler, for two periods, is an alarm.
  assert {
    condition     = aws_cloudwatch_metric_alarm.this["recovery_point"].treat_missing_data == "breaching"
    error_message = "The recovery point alarm must treat missing data as breaching, so that it fires when the reconciler stops."
  }

  assert {
    condition     = output.alarm_arns["recovery_point"] == aws_cloudwatch_metric_alarm.this["recovery_point"].arn
    error_message = "alarm_arns must list the recovery point alarm."
  }

  # Only this alarm counts two periods; the others keep one (alarms.tftest.hcl).
  assert {
    condition     = [for purpose, alarm in aws_cloudwatch_metric_alarm.this : purpose if alarm.datapoints_to_alarm != null] == ["recovery_point"]
    error_message = "datapoints_to_alarm must only be set where the alarm's map asks for it."
  }
}

# The alarm's period is the schedule's interval, within CloudWatch's limit on period x evaluation periods
# (a day under one-hour periods, seven days otherwise), from the shortest schedule to the longest.
run "alarm_period_every_5_minutes" {
  command = plan

  variables {
    reconciler_schedule = "rate(5 minutes)"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["recovery_point"].period == 300 && 300 * aws_cloudwatch_metric_alarm.this["recovery_point"].evaluation_periods <= 86400
    error_message = "rate(5 minutes) must give the alarm five-minute periods."
  }

  assert {
    condition     = module.reconciler.schedule.expression == "rate(5 minutes)"
    error_message = "The schedule must follow reconciler_schedule."
  }
}

run "alarm_period_every_59_minutes" {
  command = plan

  variables {
    reconciler_schedule = "rate(59 minutes)"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["recovery_point"].period == 3540 && 3540 * aws_cloudwatch_metric_alarm.this["recovery_point"].evaluation_periods <= 86400
    error_message = "rate(59 minutes) must give the alarm 3540-second periods."
  }
}

run "alarm_period_every_6_hours" {
  command = plan

  variables {
    reconciler_schedule = "rate(6 hours)"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["recovery_point"].period == 21600
    error_message = "rate(6 hours) must give the alarm six-hour periods."
  }
}

run "alarm_period_daily" {
  command = plan

  variables {
    reconciler_schedule = "rate(1 day)"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["recovery_point"].period == 86400 && 86400 * aws_cloudwatch_metric_alarm.this["recovery_point"].evaluation_periods <= 604800
    error_message = "rate(1 day) must give the alarm one-day periods."
  }
}

run "alarm_period_in_minutes_for_a_day" {
  command = plan

  variables {
    reconciler_schedule = "rate(1440 minutes)"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["recovery_point"].period == 86400
    error_message = "rate(1440 minutes) is a day."
  }
}

run "reconciler_policy" {
  command = apply

  assert {
    condition = {
      for s in data.aws_iam_policy_document.reconciler.statement : s.sid => [
        toset(s.actions), toset(s.resources), toset([for c in s.condition : [c.test, c.variable, join(",", sort(c.values))]])
      ]
      } == {
      DescribeSnapshots = [
        toset(["rds:DescribeDBSnapshots", "rds:DescribeDBClusterSnapshots"]),
        toset(["*"]),
        toset([["StringEquals", "aws:RequestedRegion", "eu-central-1,eu-west-1"]]),
      ]
      DescribeSources = [
        toset(["rds:DescribeDBInstances", "rds:DescribeDBClusters"]),
        toset(["*"]),
        toset([["StringEquals", "aws:RequestedRegion", "eu-west-1"]]),
      ]
      EnqueueMissedSnapshots = [
        toset(["sqs:SendMessage"]),
        toset(["arn:aws:sqs:eu-west-1:111111111111:rds-snapshot-copy-events"]),
        toset([]),
      ]
      CopyRequests = [
        toset(["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"]),
        toset(["arn:aws:dynamodb:eu-west-1:111111111111:table/rds-snapshot-copy-copy-requests"]),
        toset([]),
      ]
    }
    error_message = "Unexpected reconciler policy: ${jsonencode([for s in data.aws_iam_policy_document.reconciler.statement : [s.sid, s.actions, s.resources]])}"
  }

  # Without a tag filter the sources' tags are not needed.
  assert {
    condition     = !contains(flatten([for s in data.aws_iam_policy_document.reconciler.statement : s.actions]), "rds:ListTagsForResource")
    error_message = "Without a tag filter the reconciler must not list tags."
  }

  # Resource "*" only for read-only listing, and then only in the deployment's regions.
  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.reconciler.statement : !contains(s.resources, "*") || (
        alltrue([for a in s.actions : startswith(a, "rds:Describe")]) &&
        length([for c in s.condition : c if c.variable == "aws:RequestedRegion"]) == 1
      )
    ])
    error_message = "Only the read-only Describe actions may use Resource \"*\", limited to requests to the deployment's regions."
  }

  # Never a key, a copy, a delete, a tag, or a queue other than the copier's.
  assert {
    condition = alltrue(flatten([
      for s in data.aws_iam_policy_document.reconciler.statement : [
        for a in s.actions : !can(regex("(?i)^kms:|^rds:(Copy|Delete|AddTags|Remove|Modify|Restore|Create)|\\*|^sqs:(Receive|Delete|ChangeMessage|Purge)", a))
      ]
    ]))
    error_message = "The reconciler may not use keys, copy, delete, tag or consume messages."
  }

  assert {
    condition     = module.reconciler.role_name == "rds-snapshot-copy-reconciler" && module.reconciler.role_arn != module.copier.role_arn && module.reconciler.role_arn != module.pruner.role_arn
    error_message = "The reconciler must have its own role, <name>-reconciler."
  }
}

run "reconciler_policy_with_tag_filter" {
  command = apply

  variables {
    source_filter = {
      exclude_tags = { "copy-to-dr" = ["false"] }
    }
  }

  assert {
    condition     = !contains(flatten([for s in data.aws_iam_policy_document.reconciler.statement : s.actions]), "rds:ListTagsForResource")
    error_message = "Even with a tag filter the reconciler reads no tags: the describe answers carry the sources' tags."
  }

  assert {
    condition     = jsondecode(module.reconciler.function_environment["SOURCE_FILTER"]).exclude_tags == { "copy-to-dr" = ["false"] }
    error_message = "SOURCE_FILTER must carry the tag filter to the reconciler."
  }
}

run "reconciler_policy_with_identifier_filter" {
  command = apply

  variables {
    source_filter = {
      include_identifiers = ["orders-*"]
    }
  }

  assert {
    condition     = !contains([for s in data.aws_iam_policy_document.reconciler.statement : s.sid], "ReadSourceDatabaseTags")
    error_message = "Identifier filters need no tags, so no rds:ListTagsForResource on the sources."
  }
}

run "settings_follow_variables" {
  command = apply

  variables {
    name                              = "copies"
    rpo_hours                         = 12.5
    reconciler_grace_minutes          = 0
    reconciler_schedule               = "rate(15 minutes)"
    reconciler_timeout                = 60
    per_source_recovery_point_metrics = true
    retention_days                    = 7
    copy_wait_max_hours               = 24
    snapshot_event_ids                = ["RDS-EVENT-0169", "RDS-EVENT-0091"]
    metric_namespace                  = "Backups/Rds"
    lambda_architecture               = "x86_64"
    log_retention_in_days             = 365
    alarm_sns_topic_arn               = "arn:aws:sns:eu-west-1:111111111111:on-call"
    tags                              = { Team = "dba" }
  }

  assert {
    condition = module.reconciler.function_environment == tomap({
      SOURCE_REGION         = "eu-west-1"
      DESTINATION_REGION    = "eu-central-1"
      COPY_QUEUE_URL        = "https://sqs.eu-west-1.amazonaws.com/111111111111/rds-snapshot-copy-events"
      RETENTION_DAYS        = "7"
      RPO_HOURS             = "12.5"
      ENABLED_EVENT_IDS     = "RDS-EVENT-0091,RDS-EVENT-0169"
      SOURCE_FILTER         = "{\"exclude_identifiers\":[],\"exclude_tags\":{},\"include_identifiers\":[],\"include_tags\":{}}"
      REQUESTS_TABLE        = "copies-copy-requests"
      GRACE_MINUTES         = "0"
      REREQUEST_AFTER_HOURS = "25"
      PER_SOURCE_METRICS    = "true"
      METRIC_NAMESPACE      = "Backups/Rds"
      DEPLOYMENT_NAME       = "copies"
      KEEP_LAST             = "3"
      PRUNE_RETENTION_DAYS  = "7"
    })
    error_message = "The reconciler's environment must follow the variables: ${jsonencode(module.reconciler.function_environment)}"
  }

  assert {
    condition = (
      module.reconciler.function_name == "copies-reconcile" && module.reconciler.role_name == "copies-reconciler" &&
      module.reconciler.function_timeout == 60 && module.reconciler.function_architecture == "x86_64" &&
      module.reconciler.log_group_retention_in_days == 365 &&
      module.reconciler.schedule.rule_name == "copies-reconcile" &&
      module.reconciler.schedule.expression == "rate(15 minutes)" &&
      aws_dynamodb_table.copy_requests.name == "copies-copy-requests"
    )
    error_message = "The reconciler, its schedule and the table must follow the variables."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.this["recovery_point"].alarm_name == "copies-recovery-point" &&
      aws_cloudwatch_metric_alarm.this["recovery_point"].namespace == "Backups/Rds" &&
      aws_cloudwatch_metric_alarm.this["recovery_point"].dimensions == tomap({ FunctionName = "copies-reconcile" }) &&
      aws_cloudwatch_metric_alarm.this["recovery_point"].period == 900 &&
      aws_cloudwatch_metric_alarm.this["recovery_point"].alarm_actions == toset(["arn:aws:sns:eu-west-1:111111111111:on-call"]) &&
      aws_cloudwatch_metric_alarm.this["recovery_point"].ok_actions == toset(["arn:aws:sns:eu-west-1:111111111111:on-call"]) &&
      strcontains(aws_cloudwatch_metric_alarm.this["recovery_point"].alarm_description, "(12.5 h)")
    )
    error_message = "The recovery point alarm must follow the schedule, the namespace, the topic and rpo_hours."
  }

  assert {
    condition     = aws_dynamodb_table.copy_requests.tags == tomap({ Team = "dba" })
    error_message = "The reconciler's resources must carry the tags (modules/function's own: function.tftest.hcl)."
  }
}

# Pruning off: the window is RDS's longest automated backup retention, 35 days.
run "pruning_off" {
  command = apply

  variables {
    retention_days = null
  }

  assert {
    condition     = module.reconciler.function_environment["RETENTION_DAYS"] == "35"
    error_message = "With retention_days null the reconciler must look 35 days back: ${jsonencode(module.reconciler.function_environment)}"
  }
}

# Retention longer than RDS's: the copies are kept longer, and so the reconciler looks further back.
run "long_retention" {
  command = plan

  variables {
    retention_days = 90
  }

  assert {
    condition     = module.reconciler.function_environment["RETENTION_DAYS"] == "90"
    error_message = "RETENTION_DAYS must follow retention_days."
  }
}
