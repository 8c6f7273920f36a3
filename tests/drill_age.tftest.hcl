# The drill check (drill_max_age_days): the reconciler's DRILL_MAX_AGE_DAYS, its permission to read the drills'
# metric back in the destination region, and the drill_age alarm on DaysSinceLastDrill; none of them when
# unset (the default). Mocked providers (tests/mocks): no credentials or network.
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

run "off_by_default" {
  command = apply

  assert {
    condition     = !contains(keys(module.reconciler.function_environment), "DRILL_MAX_AGE_DAYS")
    error_message = "Without drill_max_age_days the reconciler must not be given DRILL_MAX_AGE_DAYS."
  }

  assert {
    condition     = !contains([for s in data.aws_iam_policy_document.reconciler.statement : s.sid], "ReadLastDrill") && !contains(flatten([for s in data.aws_iam_policy_document.reconciler.statement : s.actions]), "cloudwatch:GetMetricData")
    error_message = "Without drill_max_age_days the reconciler must not read metrics."
  }

  assert {
    condition     = !contains(keys(aws_cloudwatch_metric_alarm.this), "drill_age")
    error_message = "Without drill_max_age_days there must be no drill_age alarm."
  }
}

run "on_with_a_limit" {
  command = apply

  variables {
    drill_max_age_days = 90
  }

  assert {
    condition     = module.reconciler.function_environment["DRILL_MAX_AGE_DAYS"] == "90"
    error_message = "The reconciler must be given DRILL_MAX_AGE_DAYS: ${jsonencode(module.reconciler.function_environment)}"
  }

  # The rest of the environment is as without the check.
  assert {
    condition     = length(module.reconciler.function_environment) == 16 && module.reconciler.function_environment["RPO_HOURS"] == "26"
    error_message = "DRILL_MAX_AGE_DAYS must be added to the reconciler's environment, not replace it."
  }

  assert {
    condition = [
      for s in data.aws_iam_policy_document.reconciler.statement : [
        toset(s.actions), toset(s.resources), toset([for c in s.condition : [c.test, c.variable, join(",", sort(c.values))]])
      ] if s.sid == "ReadLastDrill"
      ] == [[
        toset(["cloudwatch:GetMetricData"]),
        toset(["*"]),
        toset([["StringEquals", "aws:RequestedRegion", "eu-central-1"]]),
    ]]
    error_message = "The reconciler may read metrics (cloudwatch:GetMetricData) in the destination region only."
  }

  # Nothing else of CloudWatch: its metrics are EMF log lines.
  assert {
    condition     = [for a in flatten([for s in data.aws_iam_policy_document.reconciler.statement : s.actions]) : a if startswith(a, "cloudwatch:")] == ["cloudwatch:GetMetricData"]
    error_message = "GetMetricData must be the reconciler's only CloudWatch action."
  }

  assert {
    condition = [
      aws_cloudwatch_metric_alarm.this["drill_age"].alarm_name,
      aws_cloudwatch_metric_alarm.this["drill_age"].namespace,
      aws_cloudwatch_metric_alarm.this["drill_age"].metric_name,
      aws_cloudwatch_metric_alarm.this["drill_age"].dimensions,
      aws_cloudwatch_metric_alarm.this["drill_age"].statistic,
      aws_cloudwatch_metric_alarm.this["drill_age"].period,
      aws_cloudwatch_metric_alarm.this["drill_age"].evaluation_periods,
      aws_cloudwatch_metric_alarm.this["drill_age"].comparison_operator,
      aws_cloudwatch_metric_alarm.this["drill_age"].threshold,
      aws_cloudwatch_metric_alarm.this["drill_age"].treat_missing_data,
      ] == [
      "rds-snapshot-copy-drill-age", "RdsSnapshotCopy", "DaysSinceLastDrill",
      tomap({ FunctionName = "rds-snapshot-copy-reconcile" }),
      "Maximum", 3600, 1, "GreaterThanThreshold", 90, "notBreaching",
    ] && aws_cloudwatch_metric_alarm.this["drill_age"].datapoints_to_alarm == null
    error_message = "The drill_age alarm fires when the reconciler's DaysSinceLastDrill is above drill_max_age_days in one run's period; a silent reconciler is the recovery_point alarm's."
  }

  assert {
    condition     = output.alarm_arns["drill_age"] == aws_cloudwatch_metric_alarm.this["drill_age"].arn
    error_message = "alarm_arns must list the drill_age alarm."
  }

  assert {
    condition     = strcontains(aws_cloudwatch_metric_alarm.this["drill_age"].alarm_description, "90 days") && strcontains(aws_cloudwatch_metric_alarm.this["drill_age"].alarm_description, "--publish-metric")
    error_message = "The drill_age alarm must say the limit and what to run."
  }
}

run "alarm_period_follows_the_schedule" {
  command = plan

  variables {
    drill_max_age_days  = 455
    reconciler_schedule = "rate(1 day)"
    metric_namespace    = "Backups/Rds Copies"
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.this["drill_age"].period == 86400 &&
      aws_cloudwatch_metric_alarm.this["drill_age"].threshold == 455 &&
      aws_cloudwatch_metric_alarm.this["drill_age"].namespace == "Backups/Rds Copies" &&
      local.reconciler_environment["DRILL_MAX_AGE_DAYS"] == "455"
    )
    error_message = "The drill_age alarm's period is the reconciler's interval, its threshold the limit, in the module's namespace."
  }
}

run "one_day_accepted" {
  command = plan

  variables {
    drill_max_age_days = 1
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["drill_age"].threshold == 1
    error_message = "drill_max_age_days = 1 must be accepted."
  }
}

run "zero_days_refused" {
  command = plan

  variables {
    drill_max_age_days = 0
  }

  expect_failures = [var.drill_max_age_days]
}

run "more_than_cloudwatch_keeps_refused" {
  command = plan

  variables {
    drill_max_age_days = 456
  }

  expect_failures = [var.drill_max_age_days]
}

run "fraction_refused" {
  command = plan

  variables {
    drill_max_age_days = 2.5
  }

  expect_failures = [var.drill_max_age_days]
}
