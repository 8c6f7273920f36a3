# Issue 18 (compliance.tf, kms.tf, docs/compliance.md): the plan-time refusals of the calendar tiers, the
# minimum-retention lock and the key's guard; the check on the deploying principal; the SCP document. The
# pruner's environment: pruner.tftest.hcl; the key policy's statements: kms.tftest.hcl; the SCP and the key
# policy evaluated together with the roles: tests/iam/test_compliance_permissions.py.
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
  kms_key_prevent_destroy  = false
  key_admin_principal_arns = ["arn:aws:iam::111111111111:role/break-glass", "arn:aws:iam::111111111111:role/ops/terraform"]
}

# ---- The SCP ----

run "scp_document" {
  command = apply

  assert {
    condition     = [for s in jsondecode(output.backup_protection_scp_json).Statement : s.Sid] == ["DenyDeletingCopies", "DenyChangingCopies", "DenyDisablingOrDeletingTheKey"] && alltrue([for s in jsondecode(output.backup_protection_scp_json).Statement : s.Effect == "Deny"])
    error_message = "The SCP must deny, in three statements: ${output.backup_protection_scp_json}"
  }

  # Deleting a copy: everyone but the pruner (expired copies) and the copier (its failed ones).
  assert {
    condition = jsonencode(jsondecode(output.backup_protection_scp_json).Statement[0]) == jsonencode({
      Sid      = "DenyDeletingCopies"
      Effect   = "Deny"
      Action   = ["rds:DeleteDBClusterSnapshot", "rds:DeleteDBSnapshot"]
      Resource = ["arn:aws:rds:eu-central-1:111111111111:cluster-snapshot:*", "arn:aws:rds:eu-central-1:111111111111:snapshot:*"]
      Condition = {
        StringEquals = { "aws:ResourceTag/snapshot_copy_deployment" = "rds-snapshot-copy" }
        ArnNotLike   = { "aws:PrincipalArn" = ["arn:aws:iam::111111111111:role/rds-snapshot-copy-pruner", "arn:aws:iam::111111111111:role/rds-snapshot-copy-copier"] }
      }
    })
    error_message = "Unexpected DenyDeletingCopies: ${jsonencode(jsondecode(output.backup_protection_scp_json).Statement[0])}"
  }

  # Sharing, re-tagging (which would take a copy out of the SCP) or upgrading a copy: nobody.
  assert {
    condition = jsonencode(jsondecode(output.backup_protection_scp_json).Statement[1]) == jsonencode({
      Sid       = "DenyChangingCopies"
      Effect    = "Deny"
      Action    = ["rds:AddTagsToResource", "rds:ModifyDBClusterSnapshotAttribute", "rds:ModifyDBSnapshot", "rds:ModifyDBSnapshotAttribute", "rds:RemoveTagsFromResource"]
      Resource  = ["arn:aws:rds:eu-central-1:111111111111:cluster-snapshot:*", "arn:aws:rds:eu-central-1:111111111111:snapshot:*"]
      Condition = { StringEquals = { "aws:ResourceTag/snapshot_copy_deployment" = "rds-snapshot-copy" } }
    })
    error_message = "Unexpected DenyChangingCopies: ${jsonencode(jsondecode(output.backup_protection_scp_json).Statement[1])}"
  }

  # The key: everyone but the break-glass principals, who are the key admins.
  assert {
    condition = jsonencode(jsondecode(output.backup_protection_scp_json).Statement[2]) == jsonencode({
      Sid       = "DenyDisablingOrDeletingTheKey"
      Effect    = "Deny"
      Action    = ["kms:DisableKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"]
      Resource  = [aws_kms_key.disposable[0].arn]
      Condition = { ArnNotLike = { "aws:PrincipalArn" = var.key_admin_principal_arns } }
    })
    error_message = "Unexpected DenyDisablingOrDeletingTheKey: ${jsonencode(jsondecode(output.backup_protection_scp_json).Statement[2])}"
  }

  # AWS Organizations takes SCPs of at most 5,120 characters.
  assert {
    condition     = length(output.backup_protection_scp_json) <= 5120
    error_message = "The SCP has ${length(output.backup_protection_scp_json)} characters; AWS Organizations allows 5120."
  }
}

run "scp_names_the_deployment" {
  command = apply

  variables {
    name = "orders-dr"
  }

  assert {
    condition = alltrue([
      for s in slice(jsondecode(output.backup_protection_scp_json).Statement, 0, 2) : s.Condition.StringEquals == { "aws:ResourceTag/snapshot_copy_deployment" = "orders-dr" }
    ])
    error_message = "The SCP must protect the copies that carry this deployment's name."
  }
}

run "scp_existing_key" {
  command = apply

  variables {
    kms_key_arn              = "arn:aws:kms:eu-central-1:111111111111:key/99999999-8888-7777-6666-555555555555"
    key_admin_principal_arns = ["arn:aws:iam::111111111111:role/break-glass"]
  }

  assert {
    condition = jsondecode(output.backup_protection_scp_json).Statement[2].Resource == [var.kms_key_arn] && jsondecode(output.backup_protection_scp_json).Statement[2].Condition == {
      ArnNotLike = { "aws:PrincipalArn" = ["arn:aws:iam::111111111111:role/break-glass"] }
    }
    error_message = "With an existing key, the SCP guards that key, with key_admin_principal_arns as the break-glass principals."
  }
}

# Nobody to except: no key statement (it would lock everyone out), and the check says so.
run "scp_existing_key_without_admins" {
  command = apply

  variables {
    kms_key_arn              = "arn:aws:kms:eu-central-1:111111111111:key/99999999-8888-7777-6666-555555555555"
    key_admin_principal_arns = []
  }

  expect_failures = [check.key_admins]

  assert {
    condition     = [for s in jsondecode(output.backup_protection_scp_json).Statement : s.Sid] == ["DenyDeletingCopies", "DenyChangingCopies"]
    error_message = "Without key admins the SCP must not guard the key."
  }
}

# ---- The key's guard: who deploys ----

# STS names a role's session without the role's path: the listed role ops/terraform is the deployer.
run "deployer_is_a_key_admin" {
  command = plan

  override_data {
    target = data.aws_caller_identity.source
    values = {
      account_id = "111111111111"
      arn        = "arn:aws:sts::111111111111:assumed-role/terraform/ci-1234"
    }
  }

  assert {
    condition     = local.deployer_is_key_admin && !aws_kms_key.disposable[0].bypass_policy_lockout_safety_check
    error_message = "A session of a listed role is a key admin: KMS's lockout safety check stays on."
  }
}

run "deployer_is_a_listed_user" {
  command = plan

  variables {
    key_admin_principal_arns = ["arn:aws:iam::111111111111:user/alice"]
  }

  override_data {
    target = data.aws_caller_identity.source
    values = {
      account_id = "111111111111"
      arn        = "arn:aws:iam::111111111111:user/alice"
    }
  }

  assert {
    condition     = local.deployer_is_key_admin
    error_message = "A listed user is a key admin."
  }
}

run "deployer_is_no_key_admin" {
  command = plan

  override_data {
    target = data.aws_caller_identity.source
    values = {
      account_id = "111111111111"
      arn        = "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice"
    }
  }

  expect_failures = [check.key_admins]

  assert {
    condition     = !local.deployer_is_key_admin && aws_kms_key.disposable[0].bypass_policy_lockout_safety_check
    error_message = "An unlisted deployer gets the warning, and the key is created past the lockout safety check."
  }
}

# The same role name in another account is another role.
run "deployer_in_another_account" {
  command = plan

  override_data {
    target = data.aws_caller_identity.source
    values = {
      account_id = "111111111111"
      arn        = "arn:aws:sts::222222222222:assumed-role/terraform/ci-1234"
    }
  }

  expect_failures = [check.key_admins]

  assert {
    condition     = !local.deployer_is_key_admin
    error_message = "A role of another account with a listed role's name is no key admin."
  }
}

# A role named like the end of a listed path is not that role.
run "deployer_with_a_path_segment_name" {
  command = plan

  override_data {
    target = data.aws_caller_identity.source
    values = {
      account_id = "111111111111"
      arn        = "arn:aws:sts::111111111111:assumed-role/ops/ci-1234"
    }
  }

  expect_failures = [check.key_admins]

  assert {
    condition     = !local.deployer_is_key_admin
    error_message = "The path ops/ of role ops/terraform is not a role named ops."
  }
}

# ---- Refused at plan ----

run "key_admins_empty_with_a_created_key" {
  command = plan

  variables {
    key_admin_principal_arns = []
  }

  expect_failures = [var.key_admin_principal_arns]
}

run "key_admins_the_account_root" {
  command = plan

  variables {
    key_admin_principal_arns = ["arn:aws:iam::111111111111:root"]
  }

  expect_failures = [var.key_admin_principal_arns]
}

run "key_admins_a_session" {
  command = plan

  variables {
    key_admin_principal_arns = ["arn:aws:sts::111111111111:assumed-role/terraform/ci-1234"]
  }

  expect_failures = [var.key_admin_principal_arns]
}

# The edges that pass: each tier's oldest slot just older than retention_days, the lock equal to it.
run "tier_edges_accepted" {
  command = plan

  variables {
    retention_days     = 35
    keep_daily         = 36
    keep_weekly        = 6
    keep_monthly       = 2
    keep_yearly        = 1
    min_retention_days = 35
  }
}

run "tier_edges_accepted_long_retention" {
  command = plan

  variables {
    retention_days = 365
    keep_monthly   = 12
    keep_yearly    = 1
    keep_daily     = 36500
    keep_weekly    = 5215
  }
}

run "keep_daily_within_retention_days" {
  command = plan

  variables {
    retention_days = 35
    keep_daily     = 35
  }

  expect_failures = [var.keep_daily]
}

run "keep_weekly_within_retention_days" {
  command = plan

  variables {
    retention_days = 7
    keep_weekly    = 1
  }

  expect_failures = [var.keep_weekly]
}

run "keep_weekly_four_within_the_default_retention" {
  command = plan

  variables {
    keep_weekly = 4
  }

  expect_failures = [var.keep_weekly]
}

run "keep_monthly_within_retention_days" {
  command = plan

  variables {
    retention_days = 31
    keep_monthly   = 1
  }

  expect_failures = [var.keep_monthly]
}

run "keep_yearly_within_retention_days" {
  command = plan

  variables {
    retention_days = 366
    keep_yearly    = 1
  }

  expect_failures = [var.keep_yearly]
}

run "tiers_without_pruning" {
  command = plan

  variables {
    retention_days = null
    keep_daily     = 7
    keep_weekly    = 4
    keep_monthly   = 12
    keep_yearly    = 1
  }

  expect_failures = [var.keep_daily, var.keep_weekly, var.keep_monthly, var.keep_yearly]
}

run "tiers_out_of_range" {
  command = plan

  variables {
    keep_daily   = 0
    keep_weekly  = 5216
    keep_monthly = 1.5
    keep_yearly  = 101
  }

  expect_failures = [var.keep_daily, var.keep_weekly, var.keep_monthly, var.keep_yearly]
}

run "retention_days_below_the_lock" {
  command = plan

  variables {
    retention_days     = 35
    min_retention_days = 36
  }

  expect_failures = [var.min_retention_days]
}

# Pruning off deletes nothing: a lock over it contradicts nothing.
run "lock_without_pruning" {
  command = plan

  variables {
    retention_days     = null
    min_retention_days = 90
  }

  assert {
    condition     = module.pruner.function_environment["MIN_RETENTION_DAYS"] == "90" && !contains(keys(module.pruner.function_environment), "RETENTION_DAYS")
    error_message = "The lock reaches the pruner with pruning off too."
  }
}

run "lock_out_of_range" {
  command = plan

  variables {
    retention_days     = null
    min_retention_days = 0
  }

  expect_failures = [var.min_retention_days]
}
