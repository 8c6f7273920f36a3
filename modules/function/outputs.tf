################################################################################
# Function
################################################################################

output "function_arn" {
  description = "ARN of the function."
  value       = aws_lambda_function.this.arn
}

output "function_name" {
  description = "Name of the function."
  value       = aws_lambda_function.this.function_name
}

output "function_invoke_arn" {
  description = "ARN to invoke the function with from API Gateway or Step Functions."
  value       = aws_lambda_function.this.invoke_arn
}

output "function_handler" {
  description = "Entry point of the function in its package."
  value       = aws_lambda_function.this.handler
}

output "function_runtime" {
  description = "Lambda runtime of the function."
  value       = aws_lambda_function.this.runtime
}

output "function_architecture" {
  description = "Instruction set of the function."
  value       = one(aws_lambda_function.this.architectures)
}

output "function_memory_size" {
  description = "Memory of the function in MB."
  value       = aws_lambda_function.this.memory_size
}

output "function_timeout" {
  description = "Timeout of the function in seconds."
  value       = aws_lambda_function.this.timeout
}

output "function_reserved_concurrent_executions" {
  description = "Reserved concurrency of the function (-1: unreserved)."
  value       = aws_lambda_function.this.reserved_concurrent_executions
}

output "function_package_path" {
  description = "Path of the zip the function was deployed from, as the state stores it (its `filename`)."
  value       = aws_lambda_function.this.filename
}

output "function_source_code_hash" {
  description = "Base64-encoded SHA-256 of the package the function was deployed from."
  value       = aws_lambda_function.this.source_code_hash
}

output "function_environment" {
  description = "Environment variables of the function, e.g. to run its handler in-process with the deployed settings."
  value       = try(aws_lambda_function.this.environment[0].variables, tomap({}))
}

output "function_dead_letter_target_arn" {
  description = "ARN of the function's dead-letter queue for asynchronous invocations; null when it has none."
  value       = try(aws_lambda_function.this.dead_letter_config[0].target_arn, null)
}

output "async_maximum_retry_attempts" {
  description = "Retries of a failed asynchronous invocation before the dead-letter target; null when the function has no event invoke configuration (Lambda's default, 2)."
  value       = try(aws_lambda_function_event_invoke_config.this[0].maximum_retry_attempts, null)
}

################################################################################
# IAM role
################################################################################

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the function's execution role (and of its inline policy)."
  value       = aws_iam_role.this.name
}

output "role_policy_json" {
  description = "The role's inline policy: the caller's policy_json plus the WriteLogs and DeadLetter statements this module adds."
  value       = aws_iam_role_policy.this.policy
}

################################################################################
# Logs and alarm
################################################################################

output "log_group_name" {
  description = "Name of the function's log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_group_arn" {
  description = "ARN of the function's log group."
  value       = aws_cloudwatch_log_group.this.arn
}

output "log_group_retention_in_days" {
  description = "Retention of the function's log group in days (0: forever)."
  value       = aws_cloudwatch_log_group.this.retention_in_days
}

output "log_group_kms_key_arn" {
  description = "KMS key the log group is encrypted with; null when CloudWatch Logs' own encryption is used."
  value       = aws_cloudwatch_log_group.this.kms_key_id
}

output "errors_alarm_arn" {
  description = "ARN of the alarm on the function's errors."
  value       = aws_cloudwatch_metric_alarm.errors.arn
}

output "errors_alarm_name" {
  description = "Name of the alarm on the function's errors."
  value       = aws_cloudwatch_metric_alarm.errors.alarm_name
}

################################################################################
# Schedule
################################################################################

output "schedule_rule_arn" {
  description = "ARN of the EventBridge rule that invokes the function on its schedule (for a dead-letter queue's policy, say); null without a schedule."
  value       = try(aws_cloudwatch_event_rule.schedule[0].arn, null)
}

output "schedule_rule_name" {
  description = "Name of the EventBridge rule that invokes the function on its schedule; null without a schedule."
  value       = try(aws_cloudwatch_event_rule.schedule[0].name, null)
}

output "schedule" {
  description = "The schedule as created, to check a caller's wiring: rule_name, rule_arn, expression, target_id, dead_letter_arn, maximum_event_age_in_seconds, maximum_retry_attempts and statement_id (of the lambda permission); null without a schedule."
  value = var.schedule == null ? null : {
    rule_name                    = aws_cloudwatch_event_rule.schedule[0].name
    rule_arn                     = aws_cloudwatch_event_rule.schedule[0].arn
    expression                   = aws_cloudwatch_event_rule.schedule[0].schedule_expression
    target_id                    = aws_cloudwatch_event_target.schedule[0].target_id
    dead_letter_arn              = try(aws_cloudwatch_event_target.schedule[0].dead_letter_config[0].arn, null)
    maximum_event_age_in_seconds = aws_cloudwatch_event_target.schedule[0].retry_policy[0].maximum_event_age_in_seconds
    maximum_retry_attempts       = aws_cloudwatch_event_target.schedule[0].retry_policy[0].maximum_retry_attempts
    statement_id                 = aws_lambda_permission.schedule[0].statement_id
  }
}
