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

# The runs below apply, so they create the key without destroy protection (aws_kms_key.disposable); the
# protected key, aws_kms_key.this, is the default, planned in plan_checks.tftest.hcl. Both are written alike.
run "created_key" {
  command = apply

  assert {
    condition     = length(aws_kms_key.this) == 0 && length(aws_kms_key.disposable) == 1
    error_message = "With kms_key_prevent_destroy false the key must be the disposable one, and only it."
  }

  assert {
    condition     = aws_kms_key.disposable[0].enable_key_rotation && aws_kms_key.disposable[0].deletion_window_in_days == 30
    error_message = "Without kms_key_arn the module must create a rotating key with a 30-day deletion window."
  }

  assert {
    condition     = aws_kms_alias.this[0].name == "alias/rds-snapshot-copy" && aws_kms_alias.this[0].target_key_id == aws_kms_key.disposable[0].key_id
    error_message = "The created key must get the alias alias/<name>."
  }

  assert {
    condition     = aws_kms_key.disposable[0].policy == data.aws_iam_policy_document.kms[0].json
    error_message = "The key must use the module's key policy."
  }

  assert {
    condition     = output.kms_key_arn == aws_kms_key.disposable[0].arn && module.copier.function_environment["DESTINATION_REGION_KMS_KEY_ID"] == aws_kms_key.disposable[0].arn
    error_message = "The function and the output must use the created key."
  }

  # Every statement that names the copier role.
  assert {
    condition = toset([
      for s in data.aws_iam_policy_document.kms[0].statement : [toset(s.actions), toset(s.resources)]
      if contains(flatten([for p in s.principals : p.identifiers]), module.copier.role_arn)
      ]) == toset([
      [toset(["kms:CreateGrant"]), toset(["*"])],
      [toset(["kms:DescribeKey"]), toset(["*"])],
    ])
    error_message = "The key policy may only give the copier role kms:CreateGrant and kms:DescribeKey."
  }

  assert {
    condition = toset([
      for s in data.aws_iam_policy_document.kms[0].statement : toset([for c in s.condition : [c.test, c.variable, join(",", c.values)]])
      if contains(coalesce(s.actions, []), "kms:CreateGrant")
      ]) == toset([toset([
        ["StringEquals", "kms:ViaService", "rds.eu-central-1.amazonaws.com"],
        ["Bool", "kms:GrantIsForAWSResource", "true"],
    ])])
    error_message = "The role may only create grants for AWS resources, through RDS in the destination region."
  }

  assert {
    condition = toset([
      for s in data.aws_iam_policy_document.kms[0].statement : toset([for c in s.condition : [c.test, c.variable, join(",", c.values)]])
      if contains(coalesce(s.actions, []), "kms:DescribeKey")
    ]) == toset([toset([["StringEquals", "kms:ViaService", "rds.eu-central-1.amazonaws.com"]])])
    error_message = "The role may only describe the key through RDS in the destination region."
  }

  # The statement IDs of the key policy as before the conditions were written once, and the guard's
  # (issue 18): an upgrade changes the account statement and adds the key admins, nothing else.
  assert {
    condition     = [for s in data.aws_iam_policy_document.kms[0].statement : s.sid] == ["AccountAdministration", "KeyAdministrators", "CopierCreateGrantThroughRds", "CopierDescribeKeyThroughRds"]
    error_message = "Unexpected key policy statements: ${jsonencode([for s in data.aws_iam_policy_document.kms[0].statement : s.sid])}"
  }

  # The account root (the account's IAM policies) has every action but the guarded three: no kms:* anywhere.
  assert {
    condition = (
      length(coalesce(one([for s in data.aws_iam_policy_document.kms[0].statement : s if s.sid == "AccountAdministration"]).actions, [])) == 0 &&
      toset(one([for s in data.aws_iam_policy_document.kms[0].statement : s if s.sid == "AccountAdministration"]).not_actions) == toset(["kms:DisableKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"]) &&
      toset(flatten([for p in one([for s in data.aws_iam_policy_document.kms[0].statement : s if s.sid == "AccountAdministration"]).principals : p.identifiers])) == toset(["arn:aws:iam::111111111111:root"])
    )
    error_message = "The account root must have every action on the key but kms:DisableKey, kms:PutKeyPolicy and kms:ScheduleKeyDeletion (NotAction)."
  }

  # The guard: the three for the key admins (tests/terraform.tfvars), and for no one else.
  assert {
    condition = (
      toset(one([for s in data.aws_iam_policy_document.kms[0].statement : s if s.sid == "KeyAdministrators"]).actions) == toset(["kms:DisableKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"]) &&
      toset(flatten([for p in one([for s in data.aws_iam_policy_document.kms[0].statement : s if s.sid == "KeyAdministrators"]).principals : p.identifiers])) == toset(["arn:aws:iam::111111111111:role/key-admin"]) &&
      length(one([for s in data.aws_iam_policy_document.kms[0].statement : s if s.sid == "KeyAdministrators"]).condition) == 0
    )
    error_message = "The KeyAdministrators statement must allow kms:DisableKey, kms:PutKeyPolicy and kms:ScheduleKeyDeletion to key_admin_principal_arns, unconditionally."
  }

  assert {
    condition = [
      for s in data.aws_iam_policy_document.kms[0].statement : s.sid
      if length(setintersection(toset(coalesce(s.actions, [])), toset(["kms:*", "kms:DisableKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"]))) > 0
    ] == ["KeyAdministrators"]
    error_message = "Only the KeyAdministrators statement may allow kms:DisableKey, kms:PutKeyPolicy or kms:ScheduleKeyDeletion, and no statement kms:*."
  }

  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.kms[0].statement : s.effect == null || s.effect == "Allow"])
    error_message = "The key policy allows only."
  }
}

run "deletion_window" {
  command = apply

  variables {
    name                            = "copies"
    kms_key_deletion_window_in_days = 7
  }

  assert {
    condition     = aws_kms_key.disposable[0].deletion_window_in_days == 7 && aws_kms_alias.this[0].name == "alias/copies"
    error_message = "The deletion window and the alias must follow the variables."
  }
}

run "existing_key" {
  command = apply

  variables {
    kms_key_arn = "arn:aws:kms:eu-central-1:111111111111:key/99999999-8888-7777-6666-555555555555"
  }

  assert {
    condition     = length(aws_kms_key.this) == 0 && length(aws_kms_key.disposable) == 0 && length(aws_kms_alias.this) == 0 && length(data.aws_iam_policy_document.kms) == 0
    error_message = "An existing key must not create a key, an alias or a key policy."
  }

  assert {
    condition     = output.kms_key_arn == var.kms_key_arn && module.copier.function_environment["DESTINATION_REGION_KMS_KEY_ID"] == var.kms_key_arn
    error_message = "The function and the output must use the given key."
  }

  assert {
    condition = toset(flatten([
      for s in data.aws_iam_policy_document.copier.statement : s.resources if anytrue([for a in s.actions : startswith(a, "kms:")])
    ])) == toset([var.kms_key_arn])
    error_message = "The role's KMS permissions must be on the given key."
  }
}
