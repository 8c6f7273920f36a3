# The upper bounds of the inputs that feed the functions' date arithmetic (issue 15): past them a function
# crashed on its first run (OverflowError) instead of the plan failing with the input named. The bound is the
# functions' own (MAX_DAYS = 36500 days, MAX_HOURS = 876000 hours, lambda/snapshot_copy/config.py;
# tests/test_terraform.py checks the two agree). The other spans already have tighter bounds, tested in
# validation.tftest.hcl: copy_wait_max_hours (312), reconciler_grace_minutes (1440), drill_max_age_days (455).
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

# The bounds themselves are accepted, and reach the functions as given.
run "upper_bounds_accepted" {
  command = apply

  variables {
    # terraform test destroys what it applied; the protected key would refuse.
    kms_key_prevent_destroy = false
    retention_days          = 36500
    keep_last               = 36500
    rpo_hours               = 876000
  }

  assert {
    condition = (
      module.pruner.function_environment["RETENTION_DAYS"] == "36500" &&
      module.pruner.function_environment["KEEP_LAST"] == "36500" &&
      module.reconciler.function_environment["RETENTION_DAYS"] == "36500" &&
      module.reconciler.function_environment["RPO_HOURS"] == "876000"
    )
    error_message = "The bounds must be accepted and passed on unchanged."
  }
}

run "retention_days_past_max_days" {
  command = plan

  variables {
    retention_days = 36501
  }

  expect_failures = [var.retention_days]
}

# The value that crashed the pruner and the reconciler.
run "retention_days_absurd" {
  command = plan

  variables {
    retention_days = 1000000000
  }

  expect_failures = [var.retention_days]
}

run "keep_last_past_max" {
  command = plan

  variables {
    keep_last = 36501
  }

  expect_failures = [var.keep_last]
}

run "rpo_hours_past_max_hours" {
  command = plan

  variables {
    rpo_hours = 876000.5
  }

  expect_failures = [var.rpo_hours]
}

run "rpo_hours_absurd" {
  command = plan

  variables {
    rpo_hours = 1e20
  }

  expect_failures = [var.rpo_hours]
}

# Null (pruning off) is still accepted: the bound does not apply to it.
run "retention_days_null_accepted" {
  command = plan

  variables {
    retention_days = null
  }

  assert {
    condition     = !contains(keys(module.pruner.function_environment), "RETENTION_DAYS")
    error_message = "retention_days null must still turn pruning off."
  }
}
