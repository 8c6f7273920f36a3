# The pruner (pruner.tf, iam_pruner.tf), its schedule and scheduled dead-letter queue, the quota alarms, and
# the copier's source filter (SOURCE_FILTER, iam_copier.tf). The validations of the new variables
# are in validation.tftest.hcl; the asynchronous retries of modules/function in function.tftest.hcl.
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

run "pruner_function" {
  command = apply

  assert {
    condition = (
      module.pruner.function_name == "rds-snapshot-copy-prune" &&
      module.pruner.function_handler == "prune_snapshots.lambda_handler" &&
      module.pruner.function_runtime == "python3.13" &&
      module.pruner.function_architecture == "arm64" &&
      module.pruner.function_timeout == 300 &&
      module.pruner.function_memory_size == 256 &&
      module.pruner.function_reserved_concurrent_executions == -1 &&
      module.pruner.role_name == "rds-snapshot-copy-pruner"
    )
    error_message = "Unexpected pruner settings (<name>-prune, prune_snapshots.lambda_handler, 300 s, 256 MB, role <name>-pruner)."
  }

  assert {
    condition     = module.pruner.function_source_code_hash == module.copier.function_source_code_hash && module.pruner.function_source_code_hash == data.archive_file.lambda[0].output_base64sha256
    error_message = "The pruner must run the same package as the copier."
  }

  assert {
    condition = module.pruner.function_environment == tomap({
      SOURCE_REGION      = "eu-west-1"
      DESTINATION_REGION = "eu-central-1"
      RETENTION_DAYS     = "35"
      KEEP_LAST          = "3"
      DRY_RUN            = "false"
      METRIC_NAMESPACE   = "RdsSnapshotCopy"
      DEPLOYMENT_NAME    = "rds-snapshot-copy"
    })
    error_message = "Unexpected pruner environment: ${jsonencode(module.pruner.function_environment)}"
  }

  assert {
    condition = (
      module.pruner.log_group_name == "/aws/lambda/rds-snapshot-copy-prune" &&
      module.pruner.log_group_retention_in_days == 30 && module.pruner.log_group_kms_key_arn == null
    )
    error_message = "The pruner must log to its own log group, with the module's retention."
  }

  # Lambda's own dead-letter target for the asynchronous invocations of the schedule, after two retries.
  assert {
    condition     = module.pruner.function_dead_letter_target_arn == aws_sqs_queue.scheduled_dead_letter.arn && module.pruner.async_maximum_retry_attempts == 2
    error_message = "A failed scheduled run must be retried twice, then go to the scheduled dead-letter queue."
  }

  assert {
    condition     = module.pruner.errors_alarm_name == "rds-snapshot-copy-prune-function-errors"
    error_message = "The pruner must have its errors alarm."
  }

  assert {
    condition = (
      output.pruner_function_name == module.pruner.function_name &&
      output.pruner_function_arn == module.pruner.function_arn &&
      output.pruner_role_arn == module.pruner.role_arn &&
      output.scheduled_dead_letter_queue_arn == aws_sqs_queue.scheduled_dead_letter.arn &&
      output.scheduled_dead_letter_queue_url == aws_sqs_queue.scheduled_dead_letter.url &&
      output.alarm_arns["prune_function_errors"] == module.pruner.errors_alarm_arn
    )
    error_message = "The outputs must describe the pruner and its dead-letter queue."
  }
}

run "schedule" {
  command = apply

  # How the rule, its target and the permission are wired is modules/function's (function.tftest.hcl);
  # here, what the pruner asks of it.
  assert {
    condition = module.pruner.schedule == {
      rule_name                    = "rds-snapshot-copy-prune-schedule"
      rule_arn                     = module.pruner.schedule_rule_arn
      expression                   = "rate(1 day)"
      target_id                    = "rds-snapshot-copy-prune"
      dead_letter_arn              = aws_sqs_queue.scheduled_dead_letter.arn
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 10
      statement_id                 = "AllowPruneSchedule"
    }
    error_message = "The pruner must run on its schedule (rate(1 day) by default), retried for an hour, then dead-lettered to the scheduled queue: ${jsonencode(module.pruner.schedule)}"
  }

  assert {
    condition     = module.pruner.schedule_rule_name == "rds-snapshot-copy-prune-schedule" && module.pruner.schedule_rule_arn == "arn:aws:events:eu-west-1:111111111111:rule/rds-snapshot-copy-prune-schedule"
    error_message = "The pruner's schedule rule must be named rds-snapshot-copy-prune-schedule."
  }
}

run "scheduled_dead_letter_queue" {
  command = apply

  assert {
    condition = (
      aws_sqs_queue.scheduled_dead_letter.name == "rds-snapshot-copy-scheduled-dlq" &&
      aws_sqs_queue.scheduled_dead_letter.sqs_managed_sse_enabled &&
      aws_sqs_queue.scheduled_dead_letter.message_retention_seconds == 1209600 &&
      jsondecode(aws_sqs_queue.scheduled_dead_letter.redrive_allow_policy) == { redrivePermission = "denyAll" }
    )
    error_message = "The scheduled dead-letter queue is <name>-scheduled-dlq, SSE-SQS, 14 days, and no queue's redrive target."
  }

  assert {
    condition     = aws_sqs_queue.scheduled_dead_letter.policy == data.aws_iam_policy_document.scheduled_dead_letter_queue.json
    error_message = "The queue must carry its policy."
  }

  assert {
    condition = [for s in data.aws_iam_policy_document.scheduled_dead_letter_queue.statement : [
      toset(s.actions),
      toset(s.resources),
      [for p in s.principals : [p.type, toset(p.identifiers)]],
      [for c in s.condition : [c.test, c.variable, join(",", c.values)]],
      ]] == [[
      toset(["sqs:SendMessage"]),
      toset(["arn:aws:sqs:eu-west-1:111111111111:rds-snapshot-copy-scheduled-dlq"]),
      [["Service", toset(["events.amazonaws.com"])]],
      [["ArnEquals", "aws:SourceArn", "arn:aws:events:eu-west-1:111111111111:rule/rds-snapshot-copy-prune-schedule,arn:aws:events:eu-west-1:111111111111:rule/rds-snapshot-copy-reconcile"]],
    ]]
    error_message = "The queue may only accept sqs:SendMessage from EventBridge for the two schedule rules, the pruner's and the reconciler's."
  }

  assert {
    condition = (
      one(data.aws_iam_policy_document.scheduled_dead_letter_queue.statement[0].condition).values == tolist([module.pruner.schedule_rule_arn, module.reconciler.schedule_rule_arn]) &&
      toset(data.aws_iam_policy_document.scheduled_dead_letter_queue.statement[0].resources) == toset([aws_sqs_queue.scheduled_dead_letter.arn])
    )
    error_message = "The policy must name the two schedule rules and the queue itself."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.this["scheduled_dead_letter_queue_depth"].alarm_name == "rds-snapshot-copy-scheduled-dead-letter-queue-depth" &&
      aws_cloudwatch_metric_alarm.this["scheduled_dead_letter_queue_depth"].namespace == "AWS/SQS" &&
      aws_cloudwatch_metric_alarm.this["scheduled_dead_letter_queue_depth"].metric_name == "ApproximateNumberOfMessagesVisible" &&
      aws_cloudwatch_metric_alarm.this["scheduled_dead_letter_queue_depth"].dimensions == tomap({ QueueName = "rds-snapshot-copy-scheduled-dlq" }) &&
      aws_cloudwatch_metric_alarm.this["scheduled_dead_letter_queue_depth"].statistic == "Maximum" &&
      aws_cloudwatch_metric_alarm.this["scheduled_dead_letter_queue_depth"].comparison_operator == "GreaterThanOrEqualToThreshold" &&
      aws_cloudwatch_metric_alarm.this["scheduled_dead_letter_queue_depth"].threshold == 1 &&
      aws_cloudwatch_metric_alarm.this["scheduled_dead_letter_queue_depth"].period == 300
    )
    error_message = "One message in the scheduled dead-letter queue must raise its alarm."
  }
}

run "pruner_policy" {
  command = apply

  assert {
    condition = {
      for s in data.aws_iam_policy_document.pruner.statement : s.sid => [
        toset(s.actions), toset(s.resources), toset([for c in s.condition : [c.test, c.variable, join(",", c.values)]])
      ]
      } == {
      DeleteDbSnapshotCopies = [
        toset(["rds:DeleteDBSnapshot"]),
        toset(["arn:aws:rds:eu-central-1:111111111111:snapshot:*"]),
        toset([
          ["StringEquals", "aws:ResourceTag/snapshot_copy_deployment", "rds-snapshot-copy"],
          ["StringEquals", "aws:ResourceTag/source_region", "eu-west-1"],
          ["Null", "aws:ResourceTag/source_snapshot_arn", "false"],
        ]),
      ]
      DeleteClusterSnapshotCopies = [
        toset(["rds:DeleteDBClusterSnapshot"]),
        toset(["arn:aws:rds:eu-central-1:111111111111:cluster-snapshot:*"]),
        toset([
          ["StringEquals", "aws:ResourceTag/snapshot_copy_deployment", "rds-snapshot-copy"],
          ["StringEquals", "aws:ResourceTag/source_region", "eu-west-1"],
          ["Null", "aws:ResourceTag/source_snapshot_arn", "false"],
        ]),
      ]
      DescribeSnapshots = [
        toset(["rds:DescribeDBSnapshots", "rds:DescribeDBClusterSnapshots"]),
        toset(["*"]),
        toset([["StringEquals", "aws:RequestedRegion", "eu-central-1"]]),
      ]
      ReadRdsQuotas = [
        toset(["servicequotas:GetServiceQuota"]),
        toset(["arn:aws:servicequotas:eu-central-1:111111111111:rds/*"]),
        toset([["StringEquals", "aws:RequestedRegion", "eu-central-1"]]),
      ]
      ListQuotas = [
        toset(["servicequotas:ListServiceQuotas", "servicequotas:ListAWSDefaultServiceQuotas", "servicequotas:GetAWSDefaultServiceQuota"]),
        toset(["*"]),
        toset([["StringEquals", "aws:RequestedRegion", "eu-central-1"]]),
      ]
    }
    error_message = "Unexpected pruner policy: ${jsonencode([for s in data.aws_iam_policy_document.pruner.statement : [s.sid, s.actions, s.resources]])}"
  }

  # Resource "*" only for read-only listing, and then only in the destination region.
  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.pruner.statement : !contains(s.resources, "*") || (
        alltrue([for a in s.actions : can(regex("^(rds:Describe|servicequotas:(List|Get))", a))]) &&
        contains([for c in s.condition : [c.test, c.variable, join(",", c.values)]], ["StringEquals", "aws:RequestedRegion", "eu-central-1"])
      )
    ])
    error_message = "Only the read-only Describe and Service Quotas actions may use Resource \"*\", in the destination region only."
  }

  # Nothing of the source region, no KMS, no copy, no tagging, no queue other than the one modules/function adds.
  assert {
    condition = alltrue(flatten([
      for s in data.aws_iam_policy_document.pruner.statement : concat(
        [for r in s.resources : r == "*" || can(regex("^arn:aws:(rds|servicequotas):eu-central-1:111111111111:", r))],
        [for a in s.actions : can(regex("^(rds:(Describe|Delete)DB(Cluster)?Snapshots?$|servicequotas:)", a))],
        [for c in s.condition : c.variable != "aws:RequestedRegion" || join(",", c.values) == "eu-central-1"],
      )
    ]))
    error_message = "The pruner may only describe and delete snapshots and read quotas, in the destination region."
  }

  assert {
    condition     = module.pruner.role_name == "rds-snapshot-copy-pruner" && module.pruner.role_arn != module.copier.role_arn
    error_message = "The pruner must have its own role, <name>-pruner."
  }
}

# The copier deletes nothing but this deployment's broken copies: its only deletes are the identity-conditioned
# DeleteBroken* statements (iam_copier.tf), and the filters' statements add none.
run "copier_deletes_only_its_own_copies" {
  command = apply

  variables {
    source_filter = {
      include_tags = { team = ["orders"] }
    }
  }

  assert {
    condition = alltrue(flatten([
      for s in concat(data.aws_iam_policy_document.copier.statement, data.aws_iam_policy_document.copier_filters.statement) : [
        for a in s.actions : !can(regex("(?i)^rds:(Delete|\\*)|^rds:[A-Za-z]*\\*|^\\*$", a)) || (
          startswith(s.sid, "DeleteBroken") &&
          toset([for c in s.condition : [c.test, c.variable, join(",", c.values)]]) == toset([for c in data.aws_iam_policy_document.pruner.statement[0].condition : [c.test, c.variable, join(",", c.values)]])
        )
      ]
    ]))
    error_message = "The copier's policy may delete only under the pruner's conditions (this deployment's copies)."
  }

  assert {
    condition     = data.aws_iam_policy_document.copier_with_filters.source_policy_documents == tolist([data.aws_iam_policy_document.copier.json, data.aws_iam_policy_document.copier_filters.json])
    error_message = "The copier's policy must be its own document merged with the filters' statements."
  }
}

run "quota_alarms" {
  command = apply

  assert {
    condition = {
      for kind in ["db", "cluster"] : kind => [
        aws_cloudwatch_metric_alarm.this["manual_snapshot_quota_${kind}"].alarm_name,
        aws_cloudwatch_metric_alarm.this["manual_snapshot_quota_${kind}"].namespace,
        aws_cloudwatch_metric_alarm.this["manual_snapshot_quota_${kind}"].metric_name,
        aws_cloudwatch_metric_alarm.this["manual_snapshot_quota_${kind}"].dimensions,
        aws_cloudwatch_metric_alarm.this["manual_snapshot_quota_${kind}"].statistic,
        aws_cloudwatch_metric_alarm.this["manual_snapshot_quota_${kind}"].period,
        aws_cloudwatch_metric_alarm.this["manual_snapshot_quota_${kind}"].evaluation_periods,
        aws_cloudwatch_metric_alarm.this["manual_snapshot_quota_${kind}"].comparison_operator,
        aws_cloudwatch_metric_alarm.this["manual_snapshot_quota_${kind}"].threshold,
        aws_cloudwatch_metric_alarm.this["manual_snapshot_quota_${kind}"].treat_missing_data,
      ]
      } == {
      db = [
        "rds-snapshot-copy-manual-snapshot-quota-db", "RdsSnapshotCopy", "ManualSnapshotQuotaUsedPercent",
        tomap({ FunctionName = "rds-snapshot-copy-prune", SnapshotKind = "db" }),
        "Maximum", 86400, 1, "GreaterThanOrEqualToThreshold", 80, "notBreaching",
      ]
      cluster = [
        "rds-snapshot-copy-manual-snapshot-quota-cluster", "RdsSnapshotCopy", "ManualSnapshotQuotaUsedPercent",
        tomap({ FunctionName = "rds-snapshot-copy-prune", SnapshotKind = "cluster" }),
        "Maximum", 86400, 1, "GreaterThanOrEqualToThreshold", 80, "notBreaching",
      ]
    }
    error_message = "One quota alarm per snapshot kind: the pruner's ManualSnapshotQuotaUsedPercent, daily maximum, at 80% or more."
  }

  # One per kind of the catalogue, no more.
  assert {
    condition     = toset([for purpose in keys(aws_cloudwatch_metric_alarm.this) : purpose if startswith(purpose, "manual_snapshot_quota_")]) == toset([for kind in keys(jsondecode(file("lambda/snapshot_copy/snapshot_kinds.json"))) : "manual_snapshot_quota_${kind}"])
    error_message = "There must be one quota alarm for each snapshot kind of snapshot_kinds.json."
  }
}

run "settings_follow_variables" {
  command = apply

  variables {
    name                          = "copies"
    retention_days                = 7
    keep_last                     = 1
    pruner_schedule               = "cron(0 3 * * ? *)"
    quota_alarm_threshold_percent = 95
    pruner_timeout                = 900
    metric_namespace              = "Backups/Rds"
    lambda_architecture           = "x86_64"
    log_retention_in_days         = 365
    alarm_sns_topic_arn           = "arn:aws:sns:eu-west-1:111111111111:on-call"
    tags                          = { Team = "dba" }
  }

  assert {
    condition = module.pruner.function_environment == tomap({
      SOURCE_REGION      = "eu-west-1"
      DESTINATION_REGION = "eu-central-1"
      RETENTION_DAYS     = "7"
      KEEP_LAST          = "1"
      DRY_RUN            = "false"
      METRIC_NAMESPACE   = "Backups/Rds"
      DEPLOYMENT_NAME    = "copies"
    })
    error_message = "The pruner's environment must follow the variables: ${jsonencode(module.pruner.function_environment)}"
  }

  assert {
    condition = (
      module.pruner.function_name == "copies-prune" && module.pruner.role_name == "copies-pruner" &&
      module.pruner.function_timeout == 900 && module.pruner.function_architecture == "x86_64" &&
      module.pruner.log_group_retention_in_days == 365 &&
      module.pruner.schedule.rule_name == "copies-prune-schedule" &&
      module.pruner.schedule.expression == "cron(0 3 * * ? *)" &&
      module.pruner.schedule.target_id == "copies-prune" &&
      aws_sqs_queue.scheduled_dead_letter.name == "copies-scheduled-dlq"
    )
    error_message = "The pruner, its schedule and its queue must follow the variables."
  }

  assert {
    condition = alltrue([
      for kind in ["db", "cluster"] :
      aws_cloudwatch_metric_alarm.this["manual_snapshot_quota_${kind}"].alarm_name == "copies-manual-snapshot-quota-${kind}" &&
      aws_cloudwatch_metric_alarm.this["manual_snapshot_quota_${kind}"].threshold == 95 &&
      aws_cloudwatch_metric_alarm.this["manual_snapshot_quota_${kind}"].namespace == "Backups/Rds" &&
      aws_cloudwatch_metric_alarm.this["manual_snapshot_quota_${kind}"].dimensions["FunctionName"] == "copies-prune" &&
      aws_cloudwatch_metric_alarm.this["manual_snapshot_quota_${kind}"].alarm_actions == toset(["arn:aws:sns:eu-west-1:111111111111:on-call"]) &&
      aws_cloudwatch_metric_alarm.this["manual_snapshot_quota_${kind}"].ok_actions == toset(["arn:aws:sns:eu-west-1:111111111111:on-call"])
    ])
    error_message = "The quota alarms must follow the threshold, the namespace and the topic."
  }

  assert {
    condition     = aws_sqs_queue.scheduled_dead_letter.tags == tomap({ Team = "dba" })
    error_message = "The pruner's resources must carry the tags (modules/function's own: function.tftest.hcl)."
  }
}

# Pruning off: no RETENTION_DAYS (the function only measures the quotas), and the role cannot delete.
run "pruning_off" {
  command = apply

  variables {
    retention_days = null
  }

  assert {
    condition = module.pruner.function_environment == tomap({
      SOURCE_REGION      = "eu-west-1"
      DESTINATION_REGION = "eu-central-1"
      KEEP_LAST          = "3"
      DRY_RUN            = "false"
      METRIC_NAMESPACE   = "RdsSnapshotCopy"
      DEPLOYMENT_NAME    = "rds-snapshot-copy"
    })
    error_message = "retention_days null must leave RETENTION_DAYS out: ${jsonencode(module.pruner.function_environment)}"
  }

  assert {
    condition     = toset([for s in data.aws_iam_policy_document.pruner.statement : s.sid]) == toset(["DescribeSnapshots", "ReadRdsQuotas", "ListQuotas"])
    error_message = "With pruning off the pruner's role must not be able to delete."
  }

  assert {
    condition     = module.pruner.schedule_rule_name == "rds-snapshot-copy-prune-schedule" && contains(keys(aws_cloudwatch_metric_alarm.this), "manual_snapshot_quota_db")
    error_message = "The schedule and the quota alarms stay: the pruner still measures the quotas."
  }
}

run "dry_run" {
  command = apply

  variables {
    pruner_dry_run = true
  }

  assert {
    condition     = module.pruner.function_environment["DRY_RUN"] == "true" && module.pruner.function_environment["RETENTION_DAYS"] == "35"
    error_message = "DRY_RUN must be \"true\" in a dry run, with the retention to report on."
  }

  assert {
    condition     = length([for s in data.aws_iam_policy_document.pruner.statement : s if anytrue([for a in s.actions : startswith(a, "rds:Delete")])]) == 0
    error_message = "In a dry run the pruner's role must not be able to delete."
  }
}

run "source_filter_default" {
  command = apply

  assert {
    condition     = jsondecode(module.copier.function_environment["SOURCE_FILTER"]) == { include_identifiers = [], exclude_identifiers = [], include_tags = {}, exclude_tags = {} }
    error_message = "SOURCE_FILTER must always be set, every key empty by default: ${module.copier.function_environment["SOURCE_FILTER"]}"
  }

  assert {
    condition     = length(data.aws_iam_policy_document.copier_filters.statement) == 0
    error_message = "Without a tag filter the copier needs no more permissions."
  }
}

run "source_filter_identifiers_only" {
  command = apply

  variables {
    source_filter = {
      include_identifiers = ["orders-*", "ledger-?"]
      exclude_identifiers = ["*-test"]
    }
  }

  assert {
    condition     = module.copier.function_environment["SOURCE_FILTER"] == "{\"exclude_identifiers\":[\"*-test\"],\"exclude_tags\":{},\"include_identifiers\":[\"orders-*\",\"ledger-?\"],\"include_tags\":{}}"
    error_message = "SOURCE_FILTER must carry the filter as JSON: ${module.copier.function_environment["SOURCE_FILTER"]}"
  }

  assert {
    condition     = length(data.aws_iam_policy_document.copier_filters.statement) == 0
    error_message = "Identifier filters need no tags, so no rds:ListTagsForResource on the sources."
  }
}

run "source_filter_tags" {
  command = apply

  variables {
    source_filter = {
      include_tags = { team = ["orders", "ledger"], backup = [] }
    }
  }

  assert {
    condition     = jsondecode(module.copier.function_environment["SOURCE_FILTER"]).include_tags == { backup = [], team = ["orders", "ledger"] }
    error_message = "SOURCE_FILTER must carry the tag filter, an empty list for any value."
  }

  assert {
    condition = [for s in data.aws_iam_policy_document.copier_filters.statement : [s.sid, toset(s.actions), toset(s.resources), length(s.condition)]] == [[
      "ReadSourceDatabaseTags",
      toset(["rds:ListTagsForResource"]),
      toset(["arn:aws:rds:eu-west-1:111111111111:db:*", "arn:aws:rds:eu-west-1:111111111111:cluster:*"]),
      0,
    ]]
    error_message = "A tag filter lets the copier read the tags of the source region's databases and clusters, nothing more."
  }
}

run "source_filter_exclude_tags_only" {
  command = apply

  variables {
    source_filter = {
      exclude_tags = { "copy-to-dr" = ["false"] }
    }
  }

  assert {
    condition     = [for s in data.aws_iam_policy_document.copier_filters.statement : s.sid] == ["ReadSourceDatabaseTags"]
    error_message = "An exclude tag filter needs the tags too."
  }
}

# Issue 18: the calendar tiers and the minimum-retention lock reach the pruner, each only when set (the
# defaults: pruner_function above has none of them). Their plan-time refusals: compliance.tftest.hcl.
run "retention_tiers_and_lock" {
  command = plan

  variables {
    retention_days     = 6
    keep_daily         = 7
    keep_weekly        = 4
    keep_monthly       = 12
    keep_yearly        = 3
    min_retention_days = 5
  }

  assert {
    condition = module.pruner.function_environment == tomap({
      SOURCE_REGION      = "eu-west-1"
      DESTINATION_REGION = "eu-central-1"
      RETENTION_DAYS     = "6"
      KEEP_LAST          = "3"
      KEEP_DAILY         = "7"
      KEEP_WEEKLY        = "4"
      KEEP_MONTHLY       = "12"
      KEEP_YEARLY        = "3"
      MIN_RETENTION_DAYS = "5"
      DRY_RUN            = "false"
      METRIC_NAMESPACE   = "RdsSnapshotCopy"
      DEPLOYMENT_NAME    = "rds-snapshot-copy"
    })
    error_message = "Unexpected pruner environment: ${jsonencode(module.pruner.function_environment)}"
  }
}

run "monthly_without_daily" {
  command = plan

  variables {
    keep_monthly = 12
  }

  assert {
    condition     = module.pruner.function_environment["KEEP_MONTHLY"] == "12" && length(setintersection(keys(module.pruner.function_environment), ["KEEP_DAILY", "KEEP_WEEKLY", "KEEP_YEARLY", "MIN_RETENTION_DAYS"])) == 0
    error_message = "keep_monthly alone (with the default retention_days 35) is a valid rule; the unset ones stay out of the environment: ${jsonencode(module.pruner.function_environment)}"
  }
}
