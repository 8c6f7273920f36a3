# Mistakes the plan refuses, with the bad value in the message: settings that disagree with the regions
# of the two providers (postconditions on the aws_region data sources, main.tf) and names too long for
# the derived names (validations of var.name). And what a plan creates by default: the protected key.
# Plans only, so nothing is applied and nothing destroyed. The mocks (tests/mocks) put the source in
# eu-west-1 and the destination in eu-central-1; override_data moves them.
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

# kms_key_prevent_destroy left at its default: the key is the protected aws_kms_key.this (prevent_destroy),
# at the address it always had; the disposable one is not planned.
run "key_protected_by_default" {
  command = plan

  assert {
    condition     = length(aws_kms_key.this) == 1 && length(aws_kms_key.disposable) == 0
    error_message = "By default the module must plan the protected key (aws_kms_key.this) and not the disposable one."
  }

  assert {
    condition     = aws_kms_key.this[0].enable_key_rotation && aws_kms_key.this[0].deletion_window_in_days == 30 && aws_kms_key.this[0].description == "Encrypts the rds-snapshot-copy copies of RDS snapshots from eu-west-1"
    error_message = "The protected key must have the same settings as the disposable one (kms.tftest.hcl)."
  }

  assert {
    condition     = length(aws_kms_alias.this) == 1 && aws_kms_alias.this[0].name == "alias/rds-snapshot-copy"
    error_message = "The protected key must get the alias alias/<name>."
  }
}

# A key and a topic of the right regions pass the postconditions.
run "key_and_topic_of_their_regions" {
  command = plan

  variables {
    kms_key_arn         = "arn:aws:kms:eu-central-1:111111111111:key/99999999-8888-7777-6666-555555555555"
    alarm_sns_topic_arn = "arn:aws:sns:eu-west-1:111111111111:on-call"
  }

  assert {
    condition     = output.kms_key_arn == var.kms_key_arn && length(aws_kms_key.this) == 0 && length(aws_kms_key.disposable) == 0
    error_message = "A key of the destination region must be used as it is."
  }
}

# The checks compare with the providers' regions, not with fixed names.
run "checks_follow_the_providers_regions" {
  command = plan

  override_data {
    target = data.aws_region.source
    values = { name = "us-east-1" }
  }

  override_data {
    target = data.aws_region.destination
    values = { name = "us-west-2" }
  }

  variables {
    kms_key_arn         = "arn:aws:kms:us-west-2:111111111111:key/99999999-8888-7777-6666-555555555555"
    alarm_sns_topic_arn = "arn:aws:sns:us-east-1:111111111111:on-call"
  }

  assert {
    condition     = output.kms_key_arn == var.kms_key_arn && aws_cloudwatch_event_rule.this.description == "RDS snapshot-created events that rds-snapshot-copy copies to us-west-2"
    error_message = "The plan must follow the providers' regions: ${aws_cloudwatch_event_rule.this.description}"
  }
}

# "kms_key_arn "arn:aws:kms:eu-west-1:..." is a key of eu-west-1, not of the destination region eu-central-1, ..."
run "kms_key_of_another_region" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:111111111111:key/99999999-8888-7777-6666-555555555555"
  }

  expect_failures = [data.aws_region.destination]
}

# "The source and destination regions are both eu-west-1: ..."
run "same_source_and_destination_region" {
  command = plan

  override_data {
    target = data.aws_region.destination
    values = { name = "eu-west-1" }
  }

  expect_failures = [data.aws_region.destination]
}

# "alarm_sns_topic_arn "arn:aws:sns:eu-central-1:..." is a topic of eu-central-1, but the alarms are in the source region eu-west-1 ..."
run "alarm_topic_of_another_region" {
  command = plan

  variables {
    alarm_sns_topic_arn = "arn:aws:sns:eu-central-1:111111111111:on-call"
  }

  expect_failures = [data.aws_region.source]
}

# 54 characters: <name>-reconciler would have 65, one more than IAM allows for a role name (and the rule
# name <name>-snapshot-created 71). The 48-character case of the rule alone is validation.tftest.hcl's.
run "name_too_long_for_role_names" {
  command = plan

  variables {
    name = "a234567890123456789012345678901234567890123456789abcd4"
  }

  expect_failures = [var.name]
}
