# Mocks for the aws.source provider, shared by every test file (mock_provider ... source).
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
  target = module.copier.aws_lambda_function.this
  values = {
    arn = "arn:aws:lambda:eu-west-1:111111111111:function:rds-snapshot-copy"
  }
}

# The pruner's schedule (modules/function), its dead-letter queue (sqs.tf) and the function (pruner.tf).
override_resource {
  target = aws_sqs_queue.scheduled_dead_letter
  values = {
    arn  = "arn:aws:sqs:eu-west-1:111111111111:rds-snapshot-copy-scheduled-dlq"
    url  = "https://sqs.eu-west-1.amazonaws.com/111111111111/rds-snapshot-copy-scheduled-dlq"
    id   = "https://sqs.eu-west-1.amazonaws.com/111111111111/rds-snapshot-copy-scheduled-dlq"
    name = "rds-snapshot-copy-scheduled-dlq"
  }
}

override_resource {
  target = module.pruner.aws_cloudwatch_event_rule.schedule
  values = {
    arn = "arn:aws:events:eu-west-1:111111111111:rule/rds-snapshot-copy-prune-schedule"
  }
}

override_resource {
  target = module.pruner.aws_lambda_function.this
  values = {
    arn = "arn:aws:lambda:eu-west-1:111111111111:function:rds-snapshot-copy-prune"
  }
}

override_resource {
  target = module.pruner.aws_iam_role.this
  values = {
    arn = "arn:aws:iam::111111111111:role/rds-snapshot-copy-pruner"
  }
}

override_resource {
  target = module.pruner.aws_cloudwatch_log_group.this
  values = {
    arn = "arn:aws:logs:eu-west-1:111111111111:log-group:/aws/lambda/rds-snapshot-copy-prune"
  }
}

# The reconciler's schedule (modules/function), the function and the copy requests table (reconciler.tf, copy_requests.tf).
override_resource {
  target = module.reconciler.aws_cloudwatch_event_rule.schedule
  values = {
    arn = "arn:aws:events:eu-west-1:111111111111:rule/rds-snapshot-copy-reconcile"
  }
}

override_resource {
  target = module.reconciler.aws_lambda_function.this
  values = {
    arn = "arn:aws:lambda:eu-west-1:111111111111:function:rds-snapshot-copy-reconcile"
  }
}

override_resource {
  target = module.reconciler.aws_iam_role.this
  values = {
    arn = "arn:aws:iam::111111111111:role/rds-snapshot-copy-reconciler"
  }
}

override_resource {
  target = module.reconciler.aws_cloudwatch_log_group.this
  values = {
    arn = "arn:aws:logs:eu-west-1:111111111111:log-group:/aws/lambda/rds-snapshot-copy-reconcile"
  }
}

override_resource {
  target = aws_dynamodb_table.copy_requests
  values = {
    arn = "arn:aws:dynamodb:eu-west-1:111111111111:table/rds-snapshot-copy-copy-requests"
  }
}
