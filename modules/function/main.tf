locals {
  log_group_name = "/aws/lambda/${var.name}"
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is the caller's choice (log_retention_in_days); these are operational logs and a year's retention by default would only add cost.
  name              = local.log_group_name
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.logs_kms_key_arn

  tags = var.tags
}

################################################################################
# IAM: the execution role, with the caller's policy plus what this module wires
################################################################################

resource "aws_iam_role" "this" {
  name               = var.role_name
  description        = coalesce(var.role_description, "Execution role of the ${var.name} function")
  assume_role_policy = data.aws_iam_policy_document.assume_role.json

  tags = var.tags
}

data "aws_iam_policy_document" "assume_role" {
  statement {
    sid     = "LambdaAssumeRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    # Confused-deputy guard: only functions of this account may assume the role.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

# The role's one inline policy, named like the role.
resource "aws_iam_role_policy" "this" {
  name   = var.role_name
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

# The caller's statements (policy_json) plus the permissions for what this module wires itself: the log
# group and, when given, the dead-letter target. Statement IDs must be unique across both.
data "aws_iam_policy_document" "this" {
  source_policy_documents = [var.policy_json]

  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  # Lambda sends failed asynchronous invocations to the dead-letter queue with the role's permissions;
  # a function may also send there itself.
  dynamic "statement" {
    for_each = var.dead_letter_target_arn == null ? [] : [var.dead_letter_target_arn]

    content {
      sid       = "DeadLetter"
      actions   = ["sqs:SendMessage"]
      resources = [statement.value]
    }
  }
}

################################################################################
# The function
################################################################################

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:The functions only call regional AWS APIs; a VPC would add NAT or endpoints for no isolation gain.
  #checkov:skip=CKV_AWS_173:The environment holds only region names, ARNs, URLs and limits, no secrets; Lambda encrypts it at rest already.
  #checkov:skip=CKV_AWS_272:The package is built from this repository by the caller; code signing needs a signing profile the caller may not have.
  function_name = var.name
  description   = var.description
  role          = aws_iam_role.this.arn
  handler       = var.handler
  runtime       = var.runtime
  architectures = [var.architecture]

  filename         = var.package_path
  source_code_hash = var.package_hash

  timeout                        = var.timeout
  memory_size                    = var.memory_size
  reserved_concurrent_executions = var.reserved_concurrent_executions

  dynamic "environment" {
    for_each = length(var.environment) > 0 ? [var.environment] : []

    content {
      variables = environment.value
    }
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.this.name
    application_log_level = "INFO"
    system_log_level      = "WARN"
  }

  # For asynchronous invocations (a backfill, say): what fails after Lambda's retries lands there.
  dynamic "dead_letter_config" {
    for_each = var.dead_letter_target_arn == null ? [] : [var.dead_letter_target_arn]

    content {
      target_arn = dead_letter_config.value
    }
  }

  # PassThrough costs nothing and keeps a caller's trace header if there is one.
  tracing_config {
    mode = "PassThrough"
  }

  tags = var.tags

  # Without these the first invocation could create an unmanaged log group or run without permissions.
  depends_on = [
    aws_cloudwatch_log_group.this,
    aws_iam_role_policy.this,
  ]
}

# How often Lambda retries a failed asynchronous invocation before the dead-letter target; only when asked,
# so a function invoked from a queue keeps no configuration it does not use.
resource "aws_lambda_function_event_invoke_config" "this" {
  count = var.async_maximum_retry_attempts == null ? 0 : 1

  function_name          = aws_lambda_function.this.function_name
  maximum_retry_attempts = var.async_maximum_retry_attempts
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name        = "${var.name}-function-errors"
  alarm_description = coalesce(var.errors_alarm_description, "The ${var.name} function failed.")
  namespace         = "AWS/Lambda"
  metric_name       = "Errors"
  dimensions = {
    FunctionName = aws_lambda_function.this.function_name
  }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions

  tags = var.tags
}

################################################################################
# The schedule: an EventBridge rule that invokes the function, when asked
################################################################################

resource "aws_cloudwatch_event_rule" "schedule" {
  count = var.schedule == null ? 0 : 1

  name                = var.schedule.rule_name
  description         = var.schedule.description
  schedule_expression = var.schedule.expression

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "schedule" {
  count = var.schedule == null ? 0 : 1

  rule      = aws_cloudwatch_event_rule.schedule[0].name
  target_id = var.name
  arn       = aws_lambda_function.this.arn

  retry_policy {
    maximum_event_age_in_seconds = var.schedule.maximum_event_age_in_seconds
    maximum_retry_attempts       = var.schedule.maximum_retry_attempts
  }

  # Events EventBridge could not deliver; the queue's policy must let this rule send (its ARN is an output).
  dynamic "dead_letter_config" {
    for_each = var.schedule.dead_letter_arn == null ? [] : [var.schedule.dead_letter_arn]

    content {
      arn = dead_letter_config.value
    }
  }

  # EventBridge may invoke the function only once it is allowed to.
  depends_on = [aws_lambda_permission.schedule]
}

resource "aws_lambda_permission" "schedule" {
  count = var.schedule == null ? 0 : 1

  statement_id  = var.schedule.statement_id
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.schedule[0].arn
}
