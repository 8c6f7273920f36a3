# Mocked providers: no credentials or network; computed values are random but stable within a run.
mock_provider "aws" {
  alias = "source"

  mock_data "aws_region" {
    defaults = {
      name = "eu-west-1"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "111111111111"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition  = "aws"
      dns_suffix = "amazonaws.com"
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
      arn = "arn:aws:iam::111111111111:role/rds-snapshot-copy-copier"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:111111111111:log-group:/aws/lambda/rds-snapshot-copy"
    }
  }
}

mock_provider "aws" {
  alias = "destination"

  mock_data "aws_region" {
    defaults = {
      name = "eu-central-1"
    }
  }

  mock_resource "aws_kms_key" {
    defaults = {
      arn    = "arn:aws:kms:eu-central-1:111111111111:key/11111111-2222-3333-4444-555555555555"
      key_id = "11111111-2222-3333-4444-555555555555"
    }
  }
}

# Distinct, well-formed ARNs: the provider still validates ARN arguments, and the tests tell the queues apart.
override_resource {
  target = aws_sqs_queue.this
  values = {
    arn  = "arn:aws:sqs:eu-west-1:111111111111:rds-snapshot-copy-events"
    url  = "https://sqs.eu-west-1.amazonaws.com/111111111111/rds-snapshot-copy-events"
    id   = "https://sqs.eu-west-1.amazonaws.com/111111111111/rds-snapshot-copy-events"
    name = "rds-snapshot-copy-events"
  }
}

override_resource {
  target = aws_sqs_queue.dead_letter
  values = {
    arn  = "arn:aws:sqs:eu-west-1:111111111111:rds-snapshot-copy-dlq"
    url  = "https://sqs.eu-west-1.amazonaws.com/111111111111/rds-snapshot-copy-dlq"
    id   = "https://sqs.eu-west-1.amazonaws.com/111111111111/rds-snapshot-copy-dlq"
    name = "rds-snapshot-copy-dlq"
  }
}

override_resource {
  target = aws_cloudwatch_event_rule.this
  values = {
    arn = "arn:aws:events:eu-west-1:111111111111:rule/rds-snapshot-copy-snapshot-created"
  }
}

override_resource {
  target = aws_lambda_function.this
  values = {
    arn = "arn:aws:lambda:eu-west-1:111111111111:function:rds-snapshot-copy"
  }
}

variables {
  lambda_package_path = "build/lambda.zip"
  lambda_package_hash = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
}

run "all_events_by_default" {
  command = apply

  assert {
    condition = aws_cloudwatch_event_rule.this.event_pattern == jsonencode({
      source        = ["aws.rds"]
      "detail-type" = ["RDS DB Cluster Snapshot Event", "RDS DB Snapshot Event"]
      detail = {
        EventID = ["RDS-EVENT-0042", "RDS-EVENT-0075", "RDS-EVENT-0091", "RDS-EVENT-0169"]
      }
    })
    error_message = "The default rule must match all four snapshot-created events: ${aws_cloudwatch_event_rule.this.event_pattern}"
  }

  assert {
    condition     = aws_cloudwatch_event_rule.this.name == "rds-snapshot-copy-snapshot-created"
    error_message = "The rule must be named <name>-snapshot-created."
  }

  assert {
    condition     = aws_cloudwatch_event_target.this.arn == aws_sqs_queue.this.arn
    error_message = "The rule must target the events queue."
  }

  assert {
    condition     = aws_cloudwatch_event_target.this.dead_letter_config[0].arn == aws_sqs_queue.dead_letter.arn
    error_message = "Undeliverable events must go to the dead-letter queue."
  }

  assert {
    condition     = aws_cloudwatch_event_target.this.retry_policy[0].maximum_event_age_in_seconds == 86400 && aws_cloudwatch_event_target.this.retry_policy[0].maximum_retry_attempts == 185
    error_message = "The target must retry as long as EventBridge allows."
  }
}

run "db_snapshots_only" {
  command = apply

  variables {
    # Out of order and repeated on purpose: the pattern is sorted and distinct.
    snapshot_event_ids = ["RDS-EVENT-0091", "RDS-EVENT-0042", "RDS-EVENT-0091"]
  }

  assert {
    condition     = aws_cloudwatch_event_rule.this.event_pattern == "{\"detail\":{\"EventID\":[\"RDS-EVENT-0042\",\"RDS-EVENT-0091\"]},\"detail-type\":[\"RDS DB Snapshot Event\"],\"source\":[\"aws.rds\"]}"
    error_message = "A DB-only selection must match only DB snapshot events: ${aws_cloudwatch_event_rule.this.event_pattern}"
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["ENABLED_EVENT_IDS"] == "RDS-EVENT-0042,RDS-EVENT-0091"
    error_message = "The function must be told the same enabled event IDs."
  }
}

run "automated_cluster_snapshots_only" {
  command = apply

  variables {
    snapshot_event_ids = ["RDS-EVENT-0169"]
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.this.event_pattern)["detail-type"] == ["RDS DB Cluster Snapshot Event"]
    error_message = "A cluster-only selection must match only cluster snapshot events."
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.this.event_pattern).detail.EventID == ["RDS-EVENT-0169"]
    error_message = "Only the selected event ID may be matched."
  }
}
