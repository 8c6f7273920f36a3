# The input and output names before 0.5 (variables.tf and outputs.tf, "Deprecated names"; deprecated.tf):
# each old input still works, wins over its new name while set, is validated like it, and makes the check
# deprecated_inputs warn; each old output is its new one. Removed in 0.6.
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

# The new names: no warning (an unexpected check failure would fail the run).
run "new_names" {
  command = apply

  variables {
    copier_memory_size       = 512
    copier_timeout           = 120
    pruner_schedule          = "cron(0 3 * * ? *)"
    pruner_dry_run           = true
    pruner_timeout           = 600
    reconciler_schedule      = "rate(30 minutes)"
    reconciler_grace_minutes = 5
    reconciler_timeout       = 300
  }

  assert {
    condition = (
      module.copier.function_memory_size == 512 && module.copier.function_timeout == 120 &&
      aws_sqs_queue.this.visibility_timeout_seconds == 720 &&
      module.pruner.schedule.expression == "cron(0 3 * * ? *)" && module.pruner.function_environment["DRY_RUN"] == "true" &&
      module.pruner.function_timeout == 600 &&
      module.reconciler.schedule.expression == "rate(30 minutes)" && aws_cloudwatch_metric_alarm.this["recovery_point"].period == 1800 &&
      module.reconciler.function_environment["GRACE_MINUTES"] == "5" && module.reconciler.function_timeout == 300
    )
    error_message = "The new names must set the functions."
  }
}

# The old names, the same values: the same plan, and the warning.
run "old_names_still_work" {
  command = apply

  variables {
    lambda_memory_size       = 512
    lambda_timeout           = 120
    prune_schedule           = "cron(0 3 * * ? *)"
    prune_dry_run            = true
    prune_lambda_timeout     = 600
    reconcile_schedule       = "rate(30 minutes)"
    reconcile_grace_minutes  = 5
    reconcile_lambda_timeout = 300
  }

  assert {
    condition = (
      module.copier.function_memory_size == 512 && module.copier.function_timeout == 120 &&
      aws_sqs_queue.this.visibility_timeout_seconds == 720 &&
      module.pruner.schedule.expression == "cron(0 3 * * ? *)" && module.pruner.function_environment["DRY_RUN"] == "true" &&
      module.pruner.function_timeout == 600 &&
      module.reconciler.schedule.expression == "rate(30 minutes)" && aws_cloudwatch_metric_alarm.this["recovery_point"].period == 1800 &&
      module.reconciler.function_environment["GRACE_MINUTES"] == "5" && module.reconciler.function_timeout == 300
    )
    error_message = "The old names must still set the functions."
  }

  # A dry run's role cannot delete, whichever name asked for it (iam_pruner.tf).
  assert {
    condition     = length([for s in data.aws_iam_policy_document.pruner.statement : s if startswith(s.sid, "Delete")]) == 0
    error_message = "prune_dry_run must take the pruner's delete permission away, as pruner_dry_run does."
  }

  expect_failures = [check.deprecated_inputs]
}

# Both set: the old name's value is used (and the warning says so).
run "old_name_wins_while_set" {
  command = apply

  variables {
    copier_timeout     = 120
    lambda_timeout     = 90
    pruner_dry_run     = false
    prune_dry_run      = true
    reconciler_timeout = 300
  }

  assert {
    condition     = module.copier.function_timeout == 90 && module.pruner.function_environment["DRY_RUN"] == "true" && module.reconciler.function_timeout == 300
    error_message = "A set old name must win over its new name; an unset one must not matter."
  }

  expect_failures = [check.deprecated_inputs]
}

# An old name's value is validated as the new name's is; the failure is reported on the new variable.
run "old_timeout_validated" {
  command = plan

  variables {
    lambda_timeout = 5
  }

  expect_failures = [var.copier_timeout, check.deprecated_inputs]
}

run "old_memory_size_validated" {
  command = plan

  variables {
    lambda_memory_size = 64
  }

  expect_failures = [var.copier_memory_size, check.deprecated_inputs]
}

run "old_prune_schedule_validated" {
  command = plan

  variables {
    prune_schedule = "daily"
  }

  expect_failures = [var.pruner_schedule, check.deprecated_inputs]
}

run "old_prune_timeout_validated" {
  command = plan

  variables {
    prune_lambda_timeout = 901
  }

  expect_failures = [var.pruner_timeout, check.deprecated_inputs]
}

run "old_reconcile_schedule_validated" {
  command = plan

  variables {
    reconcile_schedule = "rate(2 days)"
  }

  expect_failures = [var.reconciler_schedule, check.deprecated_inputs]
}

run "old_reconcile_schedule_syntax_validated" {
  command = plan

  variables {
    reconcile_schedule = "rate(1 hours)"
  }

  expect_failures = [var.reconciler_schedule, check.deprecated_inputs]
}

run "old_grace_minutes_validated" {
  command = plan

  variables {
    reconcile_grace_minutes = 2.5
  }

  expect_failures = [var.reconciler_grace_minutes, check.deprecated_inputs]
}

run "old_reconcile_timeout_validated" {
  command = plan

  variables {
    reconcile_lambda_timeout = 59
  }

  expect_failures = [var.reconciler_timeout, check.deprecated_inputs]
}

# Each old output is its new one.
run "old_outputs_are_the_new_ones" {
  command = apply

  assert {
    condition = (
      output.function_name == output.copier_function_name && output.function_arn == output.copier_function_arn &&
      output.role_arn == output.copier_role_arn && output.log_group_name == output.copier_log_group_name &&
      output.lambda_environment == output.copier_environment &&
      output.prune_function_name == output.pruner_function_name && output.prune_function_arn == output.pruner_function_arn &&
      output.prune_role_arn == output.pruner_role_arn &&
      output.reconcile_function_name == output.reconciler_function_name && output.reconcile_function_arn == output.reconciler_function_arn &&
      output.reconcile_role_arn == output.reconciler_role_arn
    )
    error_message = "Every deprecated output must equal its new name."
  }

  assert {
    condition = (
      output.copier_function_name == "rds-snapshot-copy" && output.pruner_function_name == "rds-snapshot-copy-prune" &&
      output.reconciler_function_name == "rds-snapshot-copy-reconcile" &&
      output.copier_log_group_name == "/aws/lambda/rds-snapshot-copy" && output.pruner_log_group_name == "/aws/lambda/rds-snapshot-copy-prune" &&
      output.reconciler_log_group_name == "/aws/lambda/rds-snapshot-copy-reconcile" &&
      output.pruner_role_arn == "arn:aws:iam::111111111111:role/rds-snapshot-copy-pruner" &&
      output.reconciler_role_arn == "arn:aws:iam::111111111111:role/rds-snapshot-copy-reconciler"
    )
    error_message = "The copier's, the pruner's and the reconciler's outputs must name their own function, log group and role."
  }
}
