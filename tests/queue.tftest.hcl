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

run "defaults" {
  command = apply

  assert {
    condition     = aws_sqs_queue.this.name == "rds-snapshot-copy-events" && aws_sqs_queue.dead_letter.name == "rds-snapshot-copy-dlq"
    error_message = "The queues must be named <name>-events and <name>-dlq."
  }

  assert {
    condition     = aws_sqs_queue.this.visibility_timeout_seconds == 360
    error_message = "The visibility timeout must be six times the 60-second function timeout."
  }

  assert {
    condition     = aws_sqs_queue.this.sqs_managed_sse_enabled && aws_sqs_queue.dead_letter.sqs_managed_sse_enabled
    error_message = "Both queues must be encrypted with SQS-managed keys."
  }

  assert {
    condition     = aws_sqs_queue.this.message_retention_seconds == 1209600 && aws_sqs_queue.dead_letter.message_retention_seconds == 1209600
    error_message = "Both queues must keep messages for the maximum 14 days."
  }

  # ceil(72 h / (900 s / 2)) + 20 = 596 for the function, one more for SQS as a crash backstop.
  assert {
    condition = jsondecode(aws_sqs_queue.this.redrive_policy) == {
      deadLetterTargetArn = "arn:aws:sqs:eu-west-1:111111111111:rds-snapshot-copy-dlq"
      maxReceiveCount     = 597
    }
    error_message = "The redrive policy must target the dead-letter queue after 597 receives: ${aws_sqs_queue.this.redrive_policy}"
  }

  assert {
    condition = jsondecode(aws_sqs_queue.dead_letter.redrive_allow_policy) == {
      redrivePermission = "byQueue"
      sourceQueueArns   = ["arn:aws:sqs:eu-west-1:111111111111:rds-snapshot-copy-events"]
    }
    error_message = "Only the events queue may use the dead-letter queue."
  }

}

run "queue_policies_allow_only_the_rule" {
  command = apply

  assert {
    condition     = aws_sqs_queue.this.policy == data.aws_iam_policy_document.queue["this"].json && aws_sqs_queue.dead_letter.policy == data.aws_iam_policy_document.queue["dead_letter"].json
    error_message = "Each queue must carry its own policy."
  }

  assert {
    condition     = length(data.aws_iam_policy_document.queue["this"].statement) == 1 && length(data.aws_iam_policy_document.queue["dead_letter"].statement) == 1
    error_message = "Each queue policy must have a single statement."
  }

  assert {
    condition = alltrue([
      for s in concat(data.aws_iam_policy_document.queue["this"].statement, data.aws_iam_policy_document.queue["dead_letter"].statement) :
      toset(s.actions) == toset(["sqs:SendMessage"]) &&
      [for p in s.principals : [p.type, toset(p.identifiers)]] == [["Service", toset(["events.amazonaws.com"])]] &&
      [for c in s.condition : [c.test, c.variable, join(",", c.values)]] == [["ArnEquals", "aws:SourceArn", "arn:aws:events:eu-west-1:111111111111:rule/rds-snapshot-copy-snapshot-created"]]
    ])
    error_message = "The queues may only accept sqs:SendMessage from EventBridge for this module's rule (aws:SourceArn)."
  }

  assert {
    condition     = one(data.aws_iam_policy_document.queue["this"].statement[0].condition).values[0] == aws_cloudwatch_event_rule.this.arn
    error_message = "The events queue's aws:SourceArn must be the rule's ARN."
  }

  assert {
    condition     = toset(data.aws_iam_policy_document.queue["this"].statement[0].resources) == toset([aws_sqs_queue.this.arn]) && toset(data.aws_iam_policy_document.queue["dead_letter"].statement[0].resources) == toset([aws_sqs_queue.dead_letter.arn])
    error_message = "Each queue policy must grant access to its own queue only."
  }
}

run "derived_from_timeout_and_waiting_budget" {
  command = apply

  variables {
    copier_timeout         = 120
    copy_wait_max_hours    = 312
    wait_delay_max_seconds = 60
  }

  assert {
    condition     = aws_sqs_queue.this.visibility_timeout_seconds == 720
    error_message = "The visibility timeout must follow the function timeout (6 x 120)."
  }

  # ceil(312 h / 60 s) + 20 is far above the cap of 999.
  assert {
    condition     = jsondecode(aws_sqs_queue.this.redrive_policy).maxReceiveCount == 1000
    error_message = "The receive count must be capped at 999 for the function and 1000 for SQS."
  }
}
