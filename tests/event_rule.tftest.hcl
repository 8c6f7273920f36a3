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
    condition     = module.copier.function_environment["ENABLED_EVENT_IDS"] == "RDS-EVENT-0042,RDS-EVENT-0091"
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
