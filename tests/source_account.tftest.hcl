# modules/source-account on its own: the source side of the backup-account mode in one source account
# (444444444444, eu-west-1) sharing with two vault accounts. Mocked providers: no credentials or network.
mock_provider "aws" {
  mock_data "aws_region" {
    defaults = {
      name = "eu-west-1"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "444444444444"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  # The mock's random string is not a policy; the tests assert on the documents' statements instead.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::444444444444:role/rds-snapshot-share-eu-west-1"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:444444444444:log-group:/aws/lambda/rds-snapshot-share"
    }
  }

  mock_resource "aws_lambda_function" {
    defaults = {
      arn = "arn:aws:lambda:eu-west-1:444444444444:function:rds-snapshot-share"
    }
  }

  mock_resource "aws_kms_key" {
    defaults = {
      arn    = "arn:aws:kms:eu-west-1:444444444444:key/44444444-2222-3333-4444-555555555555"
      key_id = "44444444-2222-3333-4444-555555555555"
    }
  }

  mock_resource "aws_cloudwatch_event_rule" {
    defaults = {
      arn = "arn:aws:events:eu-west-1:444444444444:rule/rds-snapshot-share-snapshot-created"
    }
  }
}

mock_provider "archive" {
  source = "./tests/mocks/archive"
}

override_resource {
  target = aws_sqs_queue.events
  values = {
    arn = "arn:aws:sqs:eu-west-1:444444444444:rds-snapshot-share-events"
    url = "https://sqs.eu-west-1.amazonaws.com/444444444444/rds-snapshot-share-events"
  }
}

override_resource {
  target = aws_sqs_queue.dead_letter
  values = {
    arn = "arn:aws:sqs:eu-west-1:444444444444:rds-snapshot-share-dlq"
    url = "https://sqs.eu-west-1.amazonaws.com/444444444444/rds-snapshot-share-dlq"
  }
}

override_resource {
  target = module.function.aws_cloudwatch_event_rule.schedule
  values = {
    arn = "arn:aws:events:eu-west-1:444444444444:rule/rds-snapshot-share-cleanup"
  }
}

variables {
  # Two vaults: one backup account in two destination regions, and another backup account.
  vaults = [
    {
      account_id         = "111111111111"
      source_region      = "eu-west-1"
      destination_region = "eu-central-1"
      queue_url          = "https://sqs.eu-west-1.amazonaws.com/111111111111/vault-events"
      queue_arn          = "arn:aws:sqs:eu-west-1:111111111111:vault-events"
      reader_role_arn    = "arn:aws:iam::111111111111:role/vault-vault-reader"
      copier_role_arn    = "arn:aws:iam::111111111111:role/vault-copier"
      deployment_name    = "vault"
    },
    {
      account_id         = "111111111111"
      source_region      = "eu-west-1"
      destination_region = "eu-north-1"
      queue_url          = "https://sqs.eu-west-1.amazonaws.com/111111111111/vault-north-events"
      queue_arn          = "arn:aws:sqs:eu-west-1:111111111111:vault-north-events"
      reader_role_arn    = "arn:aws:iam::111111111111:role/vault-north-vault-reader"
      copier_role_arn    = "arn:aws:iam::111111111111:role/vault-north-copier"
      deployment_name    = "vault-north"
    },
    {
      account_id         = "222222222222"
      source_region      = "eu-west-1"
      destination_region = "eu-central-1"
      queue_url          = "https://sqs.eu-west-1.amazonaws.com/222222222222/dr-events"
      queue_arn          = "arn:aws:sqs:eu-west-1:222222222222:dr-events"
      reader_role_arn    = "arn:aws:iam::222222222222:role/dr-vault-reader"
      copier_role_arn    = "arn:aws:iam::222222222222:role/dr-copier"
      deployment_name    = "dr"
    },
  ]
  shareable_kms_key_arns = ["arn:aws:kms:eu-west-1:444444444444:key/cccccccc-2222-3333-4444-555555555555"]
}

run "role_function_and_environment" {
  command = apply

  module {
    source = "./modules/source-account"
  }

  assert {
    condition     = module.function.role_name == "rds-snapshot-share-eu-west-1" && output.role_name == "rds-snapshot-share-eu-west-1"
    error_message = "The role must be <name>-<region>, the name every vault's source_share_role_name expects."
  }

  assert {
    condition     = module.function.function_handler == "share_snapshot.lambda_handler" && module.function.function_name == "rds-snapshot-share"
    error_message = "The function must run lambda/share_snapshot.py's lambda_handler, named <name>."
  }

  assert {
    condition = (
      output.environment["DEPLOYMENT_NAME"] == "rds-snapshot-share" &&
      output.environment["SOURCE_REGION"] == "eu-west-1" &&
      output.environment["SHARE_KMS_KEY_ID"] == aws_kms_key.share.arn &&
      output.environment["SHAREABLE_KMS_KEY_ARNS"] == "arn:aws:kms:eu-west-1:444444444444:key/cccccccc-2222-3333-4444-555555555555" &&
      output.environment["ENABLED_EVENT_IDS"] == "RDS-EVENT-0042,RDS-EVENT-0075,RDS-EVENT-0091,RDS-EVENT-0169" &&
      output.environment["SHARE_TIMEOUT_DAYS"] == "7" &&
      output.environment["METRIC_NAMESPACE"] == "RdsSnapshotCopy" &&
      jsondecode(output.environment["SOURCE_FILTER"]) == { include_identifiers = [], exclude_identifiers = [], include_tags = {}, exclude_tags = {} }
    )
    error_message = "The function's environment must carry design17's settings: ${jsonencode(output.environment)}"
  }

  assert {
    condition = jsondecode(output.environment["VAULTS"]) == [
      for vault in var.vaults : {
        account_id         = vault.account_id
        queue_url          = vault.queue_url
        reader_role_arn    = vault.reader_role_arn
        destination_region = vault.destination_region
        deployment_name    = vault.deployment_name
        copier_role_arn    = vault.copier_role_arn
      }
    ]
    error_message = "VAULTS must list each vault's account_id, queue_url, reader_role_arn, destination_region, deployment_name and copier_role_arn."
  }

  assert {
    condition     = module.function.schedule.expression == "rate(1 hour)" && module.function.schedule.rule_name == "rds-snapshot-share-cleanup"
    error_message = "The clean-up must run on its schedule, hourly by default."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.events.event_source_arn == aws_sqs_queue.events.arn && aws_lambda_event_source_mapping.events.function_response_types == toset(["ReportBatchItemFailures"])
    error_message = "The events queue must feed the function, with partial batch failures."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.events.redrive_policy).deadLetterTargetArn == aws_sqs_queue.dead_letter.arn
    error_message = "The events queue must dead-letter into <name>-dlq."
  }
}

run "role_policy_least_privilege" {
  command = apply

  module {
    source = "./modules/source-account"
  }

  # Deleting: share-* snapshots of this region tagged as this deployment's, nothing else.
  assert {
    condition = {
      for s in data.aws_iam_policy_document.share.statement : s.sid => [
        toset(s.actions), toset(s.resources), toset([for c in s.condition : "${c.test} ${c.variable} ${join(",", c.values)}"])
      ] if length([for a in s.actions : a if strcontains(a, "Delete") && startswith(a, "rds:")]) > 0
      } == {
      DeleteDbShareCopies = [
        toset(["rds:DeleteDBSnapshot"]),
        toset(["arn:aws:rds:eu-west-1:444444444444:snapshot:share-*"]),
        toset(["StringEquals aws:ResourceTag/snapshot_copy_deployment rds-snapshot-share", "StringEquals aws:ResourceTag/source_region eu-west-1", "Null aws:ResourceTag/source_snapshot_arn false"]),
      ]
      DeleteClusterShareCopies = [
        toset(["rds:DeleteDBClusterSnapshot"]),
        toset(["arn:aws:rds:eu-west-1:444444444444:cluster-snapshot:share-*"]),
        toset(["StringEquals aws:ResourceTag/snapshot_copy_deployment rds-snapshot-share", "StringEquals aws:ResourceTag/source_region eu-west-1", "Null aws:ResourceTag/source_snapshot_arn false"]),
      ]
    }
    error_message = "The role may delete only share-* snapshots carrying this deployment's tags."
  }

  # Share copies: this account and region, with this deployment's tags.
  assert {
    condition = [
      for s in data.aws_iam_policy_document.share.statement : [
        toset(s.resources), toset([for c in s.condition : "${c.test} ${c.variable} ${join(",", sort(c.values))}"])
      ] if s.sid == "MakeShareCopies"
      ] == [[
        toset(["arn:aws:rds:eu-west-1:444444444444:snapshot:*", "arn:aws:rds:eu-west-1:444444444444:cluster-snapshot:*"]),
        toset([
          "StringEquals aws:RequestTag/snapshot_copy_deployment rds-snapshot-share",
          "StringEquals aws:RequestTag/source_region eu-west-1",
        ]),
    ]]
    error_message = "Share copies must be made in this region only, tagged as this deployment's."
  }

  assert {
    condition     = [for s in data.aws_iam_policy_document.share.statement : toset(s.resources) if s.sid == "TagShareCopies"] == [toset(["arn:aws:rds:eu-west-1:444444444444:snapshot:share-*", "arn:aws:rds:eu-west-1:444444444444:cluster-snapshot:share-*"])]
    error_message = "Tagging must be limited to the share copies."
  }

  # The vaults: their queues and reader roles, each once, nothing else of their accounts.
  assert {
    condition = {
      for s in data.aws_iam_policy_document.share.statement : s.sid => [toset(s.actions), toset(s.resources)] if contains(["NotifyVaults", "ReadVaultCopies"], s.sid)
      } == {
      NotifyVaults = [toset(["sqs:SendMessage"]), toset([
        "arn:aws:sqs:eu-west-1:111111111111:vault-events", "arn:aws:sqs:eu-west-1:111111111111:vault-north-events", "arn:aws:sqs:eu-west-1:222222222222:dr-events",
      ])]
      ReadVaultCopies = [toset(["sts:AssumeRole"]), toset([
        "arn:aws:iam::111111111111:role/vault-vault-reader", "arn:aws:iam::111111111111:role/vault-north-vault-reader", "arn:aws:iam::222222222222:role/dr-vault-reader",
      ])]
    }
    error_message = "The role may send only to the vaults' queues and assume only their reader roles."
  }

  # Nothing outside this account: every other resource is of 444444444444 (or "*" for region-bound listings).
  assert {
    condition = alltrue(flatten([
      for s in data.aws_iam_policy_document.share.statement : [
        for r in s.resources : r == "*" || strcontains(r, ":444444444444:") if !contains(["NotifyVaults", "ReadVaultCopies"], s.sid)
      ]
    ]))
    error_message = "Apart from the vaults' queues and reader roles, the role may act on this account's resources only."
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.share.statement :
      contains([for c in s.condition : "${c.variable}=${join(",", c.values)}"], "aws:RequestedRegion=eu-west-1") if contains(s.resources, "*")
    ])
    error_message = "The role's listings on \"*\" must be limited to this region."
  }

  assert {
    condition     = !contains([for s in data.aws_iam_policy_document.share.statement : s.sid], "ReadSourceDatabaseTags")
    error_message = "Without a tag filter the role must not read the databases' tags."
  }
}

run "share_key_policy" {
  command = apply

  module {
    source = "./modules/source-account"
  }

  assert {
    condition     = aws_kms_key.share.policy == data.aws_iam_policy_document.share_key.json && aws_kms_key.share.enable_key_rotation && aws_kms_alias.share.name == "alias/rds-snapshot-share"
    error_message = "The share key must carry its policy, rotate, and be aliased alias/<name>."
  }

  # Only the vaults' copier roles, only through RDS in this region; the account administers the key.
  assert {
    condition = {
      for s in data.aws_iam_policy_document.share_key.statement : s.sid => [
        toset(s.actions),
        [for p in s.principals : [p.type, toset(p.identifiers)]],
        toset([for c in s.condition : "${c.test} ${c.variable} ${join(",", sort(c.values))}"]),
      ]
      } == {
      AccountAdministration = [toset(["kms:*"]), [["AWS", toset(["arn:aws:iam::444444444444:root"])]], toset([])]
      VaultCopiersCreateGrantThroughRds = [
        toset(["kms:CreateGrant"]),
        [["AWS", toset(["arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:root"])]],
        toset([
          "StringEquals kms:ViaService rds.eu-west-1.amazonaws.com",
          "Bool kms:GrantIsForAWSResource true",
          "ArnEquals aws:PrincipalArn arn:aws:iam::111111111111:role/vault-copier,arn:aws:iam::111111111111:role/vault-north-copier,arn:aws:iam::222222222222:role/dr-copier",
        ]),
      ]
      VaultCopiersUseThroughRds = [
        toset(["kms:Decrypt", "kms:DescribeKey", "kms:ReEncrypt*"]),
        [["AWS", toset(["arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:root"])]],
        toset([
          "StringEquals kms:ViaService rds.eu-west-1.amazonaws.com",
          "ArnEquals aws:PrincipalArn arn:aws:iam::111111111111:role/vault-copier,arn:aws:iam::111111111111:role/vault-north-copier,arn:aws:iam::222222222222:role/dr-copier",
        ]),
      ]
    }
    error_message = "The share key may be used by the vaults' copier roles only, through RDS in this region."
  }
}

run "rule_matches_share_copies_too" {
  command = apply

  module {
    source = "./modules/source-account"
  }

  variables {
    enabled_event_ids = ["RDS-EVENT-0091"]
    source_filter     = { include_tags = { backup = ["vault"] } }
  }

  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.snapshot_created.event_pattern) == {
      source        = ["aws.rds"]
      "detail-type" = ["RDS DB Cluster Snapshot Event", "RDS DB Snapshot Event"]
      detail        = { EventID = ["RDS-EVENT-0042", "RDS-EVENT-0075", "RDS-EVENT-0091"] }
    }
    error_message = "The rule must match the enabled events and the manual ones (a share copy's own event): ${aws_cloudwatch_event_rule.snapshot_created.event_pattern}"
  }

  assert {
    condition     = output.environment["ENABLED_EVENT_IDS"] == "RDS-EVENT-0091"
    error_message = "The function must be told the enabled events only."
  }

  assert {
    condition     = [for s in data.aws_iam_policy_document.share.statement : toset(s.resources) if s.sid == "ReadSourceDatabaseTags"] == [toset(["arn:aws:rds:eu-west-1:444444444444:db:*", "arn:aws:rds:eu-west-1:444444444444:cluster:*"])]
    error_message = "With a tag filter the role reads the tags of this region's databases and clusters."
  }
}

# ---- Refused at plan time ----

run "more_than_20_vault_accounts" {
  command = plan

  module {
    source = "./modules/source-account"
  }

  variables {
    vaults = [
      for n in range(21) : {
        account_id         = format("1000000000%02d", n)
        source_region      = "eu-west-1"
        destination_region = "eu-central-1"
        queue_url          = format("https://sqs.eu-west-1.amazonaws.com/1000000000%02d/v", n)
        queue_arn          = format("arn:aws:sqs:eu-west-1:1000000000%02d:v", n)
        reader_role_arn    = format("arn:aws:iam::1000000000%02d:role/r", n)
        copier_role_arn    = format("arn:aws:iam::1000000000%02d:role/c", n)
        deployment_name    = "v"
      }
    ]
  }

  expect_failures = [var.vaults]
}

run "vaults_overflow_the_environment" {
  command = plan

  module {
    source = "./modules/source-account"
  }

  # Ten vaults in ten accounts with long names: within RDS's 20 accounts, past Lambda's 4 KB of environment.
  variables {
    vaults = [
      for n in range(10) : {
        account_id         = format("1000000000%02d", n)
        source_region      = "eu-west-1"
        destination_region = "eu-central-1"
        queue_url          = format("https://sqs.eu-west-1.amazonaws.com/1000000000%02d/rds-snapshot-copy-vault-events", n)
        queue_arn          = format("arn:aws:sqs:eu-west-1:1000000000%02d:rds-snapshot-copy-vault-events", n)
        reader_role_arn    = format("arn:aws:iam::1000000000%02d:role/rds-snapshot-copy-vault-vault-reader", n)
        copier_role_arn    = format("arn:aws:iam::1000000000%02d:role/rds-snapshot-copy-vault-copier", n)
        deployment_name    = "rds-snapshot-copy-vault"
      }
    ]
  }

  expect_failures = [aws_cloudwatch_event_rule.snapshot_created]
}

run "no_vault" {
  command = plan

  module {
    source = "./modules/source-account"
  }

  variables {
    vaults = []
  }

  expect_failures = [var.vaults]
}

run "vault_arns_of_another_account" {
  command = plan

  module {
    source = "./modules/source-account"
  }

  variables {
    vaults = [{
      account_id         = "111111111111"
      source_region      = "eu-west-1"
      destination_region = "eu-central-1"
      queue_url          = "https://sqs.eu-west-1.amazonaws.com/111111111111/vault-events"
      queue_arn          = "arn:aws:sqs:eu-west-1:333333333333:vault-events"
      reader_role_arn    = "arn:aws:iam::111111111111:role/vault-vault-reader"
      copier_role_arn    = "arn:aws:iam::111111111111:role/vault-copier"
      deployment_name    = "vault"
    }]
  }

  expect_failures = [var.vaults]
}

run "vault_of_another_source_region" {
  command = plan

  module {
    source = "./modules/source-account"
  }

  variables {
    vaults = [{
      account_id         = "111111111111"
      source_region      = "us-east-1"
      destination_region = "us-west-2"
      queue_url          = "https://sqs.us-east-1.amazonaws.com/111111111111/vault-events"
      queue_arn          = "arn:aws:sqs:us-east-1:111111111111:vault-events"
      reader_role_arn    = "arn:aws:iam::111111111111:role/vault-vault-reader"
      copier_role_arn    = "arn:aws:iam::111111111111:role/vault-copier"
      deployment_name    = "vault"
    }]
  }

  expect_failures = [aws_cloudwatch_event_rule.snapshot_created]
}

run "vault_in_the_source_account" {
  command = plan

  module {
    source = "./modules/source-account"
  }

  variables {
    vaults = [{
      account_id         = "444444444444"
      source_region      = "eu-west-1"
      destination_region = "eu-central-1"
      queue_url          = "https://sqs.eu-west-1.amazonaws.com/444444444444/vault-events"
      queue_arn          = "arn:aws:sqs:eu-west-1:444444444444:vault-events"
      reader_role_arn    = "arn:aws:iam::444444444444:role/vault-vault-reader"
      copier_role_arn    = "arn:aws:iam::444444444444:role/vault-copier"
      deployment_name    = "vault"
    }]
  }

  expect_failures = [aws_cloudwatch_event_rule.snapshot_created]
}

run "name_too_long" {
  command = plan

  module {
    source = "./modules/source-account"
  }

  variables {
    name = "a234567890123456789012345678901234567890abcdefgh"
  }

  expect_failures = [var.name]
}

run "share_timeout_out_of_range" {
  command = plan

  module {
    source = "./modules/source-account"
  }

  variables {
    share_timeout_days = 0
  }

  expect_failures = [var.share_timeout_days]
}

run "shareable_key_is_an_alias" {
  command = plan

  module {
    source = "./modules/source-account"
  }

  variables {
    shareable_kms_key_arns = ["arn:aws:kms:eu-west-1:444444444444:alias/app"]
  }

  expect_failures = [var.shareable_kms_key_arns]
}

run "shareable_key_of_another_region" {
  command = plan

  module {
    source = "./modules/source-account"
  }

  variables {
    shareable_kms_key_arns = ["arn:aws:kms:us-east-1:444444444444:key/cccccccc-2222-3333-4444-555555555555"]
  }

  expect_failures = [aws_cloudwatch_event_rule.snapshot_created]
}

# Nothing on the source side passes unseen: a dead letter, an unshareable snapshot, a share no vault copied.
run "source_side_alarms" {
  command = plan

  module {
    source = "./modules/source-account"
  }

  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.this)) == toset(["dead_letter_queue_depth", "unshareable_snapshots", "share_timed_out"])
    error_message = "the source side must alarm on its dead letters, unshareable snapshots and timed-out shares"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.this["dead_letter_queue_depth"].metric_name == "ApproximateNumberOfMessagesVisible" && aws_cloudwatch_metric_alarm.this["unshareable_snapshots"].metric_name == "UnshareableSnapshots"
    error_message = "the alarms must read the dead-letter queue's depth and the function's UnshareableSnapshots metric"
  }
}
