# The vault side of the backup-account mode (vault.tf, sqs.tf, iam_copier.tf, copier.tf, reconciler.tf,
# outputs.tf): who may send to the events queue and assume the reader role, what the copier may copy and
# with which keys, what the functions are told, and that the single-account mode renders what it did before.
# Mocked providers (tests/mocks): no credentials or network.
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
  # An existing destination key: the vault's key and its guard are kms.tf's, tested in kms.tftest.hcl.
  kms_key_arn = "arn:aws:kms:eu-central-1:111111111111:key/99999999-2222-3333-4444-555555555555"
}

override_resource {
  target = aws_iam_role.vault_reader
  values = {
    arn = "arn:aws:iam::111111111111:role/rds-snapshot-copy-vault-reader"
  }
}

run "single_account_mode_renders_what_it_did" {
  command = apply

  assert {
    condition     = [for s in data.aws_iam_policy_document.queue["this"].statement : s.sid] == ["EventBridgeRuleSendMessage"]
    error_message = "Without source accounts the events queue must take messages from the rule only, as before."
  }

  assert {
    condition     = length(aws_iam_role.vault_reader) == 0 && length(aws_iam_role_policy.vault_reader) == 0 && output.backup_account == null
    error_message = "Without source accounts there must be no reader role and no backup_account output."
  }

  assert {
    condition     = length(setintersection(keys(module.copier.function_environment), ["SOURCE_ACCOUNT_IDS", "SOURCE_ORGANIZATION_ID", "OPTION_GROUP_MAP"])) == 0 && length(setintersection(keys(module.reconciler.function_environment), ["SOURCE_ACCOUNT_IDS", "SOURCE_ORGANIZATION_ID"])) == 0
    error_message = "Without source accounts the functions' environment must not change (SOURCE_ACCOUNT_IDS absent = this account only)."
  }

  assert {
    condition = {
      for s in data.aws_iam_policy_document.copier.statement : s.sid => toset(s.resources) if startswith(s.sid, "Copy") || startswith(s.sid, "SharedKeys")
      } == {
      CopyDbSnapshots        = toset(["arn:aws:rds:eu-west-1:111111111111:snapshot:*", "arn:aws:rds:eu-central-1:111111111111:snapshot:*"])
      CopyDbClusterSnapshots = toset(["arn:aws:rds:eu-west-1:111111111111:cluster-snapshot:*", "arn:aws:rds:eu-central-1:111111111111:cluster-snapshot:*"])
    }
    error_message = "Without source accounts the copier must copy this account's snapshots of both regions, as before, and nothing of another account."
  }
}

run "listed_accounts" {
  command = apply

  variables {
    source_account_ids = ["222222222222", "333333333333"]
    option_group_map   = { prod-oracle = "vault-oracle" }
  }

  # The queue: the rule as before, plus the source side's role of each listed account, nobody else.
  assert {
    condition     = [for s in data.aws_iam_policy_document.queue["this"].statement : s.sid] == ["EventBridgeRuleSendMessage", "SourceShareRolesSendMessage"]
    error_message = "The events queue must add one statement for the source roles."
  }

  assert {
    condition = [
      for s in data.aws_iam_policy_document.queue["this"].statement : [
        toset(s.actions), toset(s.resources),
        [for p in s.principals : [p.type, toset(p.identifiers)]],
        [for c in s.condition : [c.test, c.variable, toset(c.values)]],
      ] if s.sid == "SourceShareRolesSendMessage"
      ] == [[
        toset(["sqs:SendMessage"]),
        toset(["arn:aws:sqs:eu-west-1:111111111111:rds-snapshot-copy-events"]),
        [["AWS", toset(["arn:aws:iam::222222222222:root", "arn:aws:iam::333333333333:root"])]],
        [["ArnEquals", "aws:PrincipalArn", toset(["arn:aws:iam::222222222222:role/rds-snapshot-share-eu-west-1", "arn:aws:iam::333333333333:role/rds-snapshot-share-eu-west-1"])]],
    ]]
    error_message = "Only the role rds-snapshot-share-<source region> of the listed accounts may send to the events queue."
  }

  assert {
    condition     = [for s in data.aws_iam_policy_document.queue["dead_letter"].statement : s.sid] == ["EventBridgeRuleSendMessage"]
    error_message = "The dead-letter queue must not take messages from the source accounts."
  }

  # The copier: the listed accounts' snapshots of the source region, into the destination region only.
  assert {
    condition = {
      for s in data.aws_iam_policy_document.copier.statement : s.sid => [toset(s.actions), toset(s.resources), length(s.condition)] if startswith(s.sid, "Copy")
      } == {
      CopyDbSnapshots        = [toset(["rds:CopyDBSnapshot"]), toset(["arn:aws:rds:eu-central-1:111111111111:snapshot:*", "arn:aws:rds:eu-central-1:111111111111:og:*"]), 0]
      CopyDbClusterSnapshots = [toset(["rds:CopyDBClusterSnapshot"]), toset(["arn:aws:rds:eu-central-1:111111111111:cluster-snapshot:*"]), 0]
      CopySharedSnapshots = [
        toset(["rds:CopyDBSnapshot", "rds:CopyDBClusterSnapshot"]),
        toset([
          "arn:aws:rds:eu-west-1:222222222222:snapshot:*", "arn:aws:rds:eu-west-1:222222222222:cluster-snapshot:*",
          "arn:aws:rds:eu-west-1:333333333333:snapshot:*", "arn:aws:rds:eu-west-1:333333333333:cluster-snapshot:*",
        ]),
        0,
      ]
    }
    error_message = "A vault's copier must copy the listed accounts' snapshots of the source region only, into its own destination region."
  }

  # Their keys, through RDS in the source region only; grants only for AWS resources.
  assert {
    condition = {
      for s in data.aws_iam_policy_document.copier.statement : s.sid => [
        toset(s.actions), toset(s.resources), toset([for c in s.condition : "${c.test} ${c.variable} ${join(",", c.values)}"])
      ] if startswith(s.sid, "SharedKeys")
      } == {
      SharedKeysCreateGrantThroughRds = [
        toset(["kms:CreateGrant"]),
        toset(["arn:aws:kms:eu-west-1:222222222222:key/*", "arn:aws:kms:eu-west-1:333333333333:key/*"]),
        toset(["StringEquals kms:ViaService rds.eu-west-1.amazonaws.com", "Bool kms:GrantIsForAWSResource true"]),
      ]
      SharedKeysUseThroughRds = [
        toset(["kms:Decrypt", "kms:DescribeKey", "kms:ReEncrypt*"]),
        toset(["arn:aws:kms:eu-west-1:222222222222:key/*", "arn:aws:kms:eu-west-1:333333333333:key/*"]),
        toset(["StringEquals kms:ViaService rds.eu-west-1.amazonaws.com"]),
      ]
    }
    error_message = "The copier may use the listed accounts' keys of the source region, through RDS there only."
  }

  # Nothing new deletes or shares: the only delete statements are the copier's own broken copies, as before.
  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.copier.statement :
      startswith(s.sid, "DeleteBroken") || length([for a in s.actions : a if startswith(a, "rds:Delete") || startswith(a, "rds:Modify") || startswith(a, "kms:ScheduleKey") || startswith(a, "kms:Disable")]) == 0
    ])
    error_message = "The vault's copier must not be allowed to delete anything but its own broken copies."
  }

  assert {
    condition = (
      module.copier.function_environment["SOURCE_ACCOUNT_IDS"] == "222222222222,333333333333" &&
      jsondecode(module.copier.function_environment["OPTION_GROUP_MAP"]) == { prod-oracle = "vault-oracle" } &&
      module.reconciler.function_environment["SOURCE_ACCOUNT_IDS"] == "222222222222,333333333333" &&
      !contains(keys(module.copier.function_environment), "SOURCE_ORGANIZATION_ID")
    )
    error_message = "The copier and the reconciler must be told the source accounts; the copier the option group map."
  }

  # The reader role: assumed by the same source roles only; it may only describe snapshots, in the destination.
  assert {
    condition     = aws_iam_role.vault_reader[0].name == "rds-snapshot-copy-vault-reader" && aws_iam_role_policy.vault_reader[0].policy == data.aws_iam_policy_document.vault_reader[0].json
    error_message = "The reader role must be <name>-vault-reader, with its own policy."
  }

  assert {
    condition = [
      for s in data.aws_iam_policy_document.vault_reader_trust[0].statement : [
        toset(s.actions), [for p in s.principals : [p.type, toset(p.identifiers)]], [for c in s.condition : [c.test, c.variable, toset(c.values)]]
      ]
      ] == [[
        toset(["sts:AssumeRole"]),
        [["AWS", toset(["arn:aws:iam::222222222222:root", "arn:aws:iam::333333333333:root"])]],
        [["ArnEquals", "aws:PrincipalArn", toset(["arn:aws:iam::222222222222:role/rds-snapshot-share-eu-west-1", "arn:aws:iam::333333333333:role/rds-snapshot-share-eu-west-1"])]],
    ]]
    error_message = "Only the source roles of the listed accounts may assume the reader role."
  }

  assert {
    condition = [
      for s in data.aws_iam_policy_document.vault_reader[0].statement : [
        toset(s.actions), toset(s.resources), [for c in s.condition : [c.test, c.variable, toset(c.values)]]
      ]
      ] == [[
        toset(["rds:DescribeDBSnapshots", "rds:DescribeDBClusterSnapshots"]),
        toset(["*"]),
        [["StringEquals", "aws:RequestedRegion", toset(["eu-central-1"])]],
    ]]
    error_message = "The reader role may only describe snapshots in the destination region."
  }

  assert {
    condition = output.backup_account == {
      account_id         = "111111111111"
      source_region      = "eu-west-1"
      destination_region = "eu-central-1"
      queue_url          = "https://sqs.eu-west-1.amazonaws.com/111111111111/rds-snapshot-copy-events"
      queue_arn          = "arn:aws:sqs:eu-west-1:111111111111:rds-snapshot-copy-events"
      reader_role_arn    = "arn:aws:iam::111111111111:role/rds-snapshot-copy-vault-reader"
      copier_role_arn    = module.copier.role_arn
      deployment_name    = "rds-snapshot-copy"
    }
    error_message = "backup_account must carry what the source module's vaults input takes: ${jsonencode(output.backup_account)}"
  }
}

run "organization" {
  command = apply

  variables {
    source_organization_id = "o-abcdef1234"
    source_share_role_name = "platform-share"
  }

  assert {
    condition = [
      for s in data.aws_iam_policy_document.queue["this"].statement : [
        [for p in s.principals : [p.type, toset(p.identifiers)]], [for c in s.condition : [c.test, c.variable, toset(c.values)]]
      ] if s.sid == "SourceShareRolesSendMessage"
      ] == [[
        [["AWS", toset(["*"])]],
        [
          ["ArnLike", "aws:PrincipalArn", toset(["arn:aws:iam::*:role/platform-share-eu-west-1"])],
          ["StringEquals", "aws:PrincipalOrgID", toset(["o-abcdef1234"])],
        ],
    ]]
    error_message = "With an organization, the queue must require the role's name and the organization."
  }

  assert {
    condition = [
      for s in data.aws_iam_policy_document.vault_reader_trust[0].statement : [for c in s.condition : [c.test, c.variable, toset(c.values)]]
      ] == [[
        ["ArnLike", "aws:PrincipalArn", toset(["arn:aws:iam::*:role/platform-share-eu-west-1"])],
        ["StringEquals", "aws:PrincipalOrgID", toset(["o-abcdef1234"])],
    ]]
    error_message = "With an organization, the reader role's trust must require the role's name and the organization."
  }

  assert {
    condition = [
      for s in data.aws_iam_policy_document.copier.statement : [
        toset(s.resources), [for c in s.condition : [c.test, c.variable, toset(c.values)]]
      ] if s.sid == "CopySharedSnapshots"
      ] == [[
        toset(["arn:aws:rds:eu-west-1:*:snapshot:*", "arn:aws:rds:eu-west-1:*:cluster-snapshot:*"]),
        [["StringEquals", "aws:ResourceOrgID", toset(["o-abcdef1234"])]],
    ]]
    error_message = "With an organization, the copier may copy any account's snapshots of the source region whose owner is in it."
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.copier.statement :
      contains([for c in s.condition : "${c.variable}=${join(",", c.values)}"], "aws:ResourceOrgID=o-abcdef1234") if startswith(s.sid, "SharedKeys")
    ])
    error_message = "With an organization, the copier may use only keys whose owner is in it."
  }

  assert {
    condition     = module.copier.function_environment["SOURCE_ORGANIZATION_ID"] == "o-abcdef1234" && !contains(keys(module.copier.function_environment), "SOURCE_ACCOUNT_IDS")
    error_message = "The copier must be told the organization, and no accounts."
  }
}

# ---- Validations: each refused at plan time, naming the setting ----

run "account_id_not_12_digits" {
  command = plan

  variables {
    source_account_ids = ["22222222222"]
  }

  expect_failures = [var.source_account_ids]
}

run "account_listed_twice" {
  command = plan

  variables {
    source_account_ids = ["222222222222", "222222222222"]
  }

  expect_failures = [var.source_account_ids]
}

run "too_many_accounts" {
  command = plan

  variables {
    source_account_ids = [for n in range(26) : format("2222222222%02d", n)]
  }

  expect_failures = [var.source_account_ids]
}

run "accounts_and_organization" {
  command = plan

  variables {
    source_account_ids     = ["222222222222"]
    source_organization_id = "o-abcdef1234"
  }

  expect_failures = [var.source_account_ids]
}

run "organization_id_malformed" {
  command = plan

  variables {
    source_organization_id = "r-abcd"
  }

  expect_failures = [var.source_organization_id]
}

run "share_role_name_too_long" {
  command = plan

  variables {
    source_account_ids     = ["222222222222"]
    source_share_role_name = "a23456789012345678901234567890123456789012345678901"
  }

  expect_failures = [var.source_share_role_name]
}

run "option_group_map_without_sources" {
  command = plan

  variables {
    option_group_map = { prod-oracle = "vault-oracle" }
  }

  expect_failures = [var.option_group_map]
}

run "option_group_map_malformed" {
  command = plan

  variables {
    source_account_ids = ["222222222222"]
    option_group_map   = { "prod oracle" = "vault-oracle" }
  }

  expect_failures = [var.option_group_map]
}
