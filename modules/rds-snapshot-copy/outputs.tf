output "function_arn" {
  description = "ARN of the copier function."
  value       = module.copier.function_arn
}

output "function_name" {
  description = "Name of the copier function."
  value       = module.copier.function_name
}

output "role_arn" {
  description = "ARN of the function's IAM role; an existing destination key's policy must allow it kms:CreateGrant and kms:DescribeKey."
  value       = module.copier.role_arn
}

output "rule_arn" {
  description = "ARN of the EventBridge rule matching snapshot-created events."
  value       = aws_cloudwatch_event_rule.this.arn
}

output "rule_name" {
  description = "Name of the EventBridge rule matching snapshot-created events."
  value       = aws_cloudwatch_event_rule.this.name
}

output "queue_arn" {
  description = "ARN of the queue holding snapshot events until they are copied."
  value       = aws_sqs_queue.this.arn
}

output "queue_url" {
  description = "URL of the queue holding snapshot events until they are copied."
  value       = aws_sqs_queue.this.url
}

output "dead_letter_queue_arn" {
  description = "ARN of the dead-letter queue of events that were not copied."
  value       = aws_sqs_queue.dead_letter.arn
}

output "dead_letter_queue_url" {
  description = "URL of the dead-letter queue of events that were not copied; messages carry the reason as attributes."
  value       = aws_sqs_queue.dead_letter.url
}

output "kms_key_arn" {
  description = "ARN of the destination-region KMS key the copies are encrypted with (created or given)."
  value       = local.kms_key_arn
}

output "log_group_name" {
  description = "Name of the copier function's log group (the pruner's is `/aws/lambda/<prune_function_name>`)."
  value       = module.copier.log_group_name
}

output "alarm_arns" {
  description = "ARNs of the CloudWatch alarms, by purpose: function_errors and prune_function_errors (the two functions' errors), queue_oldest_message_age, dead_letter_queue_depth, dead_lettered, scheduled_dead_letter_queue_depth, and manual_snapshot_quota_db / manual_snapshot_quota_cluster (headroom under the destination's manual snapshot quotas)."
  value = tomap(merge(
    { function_errors = module.copier.errors_alarm_arn, prune_function_errors = module.pruner.errors_alarm_arn },
    { for purpose, alarm in aws_cloudwatch_metric_alarm.this : purpose => alarm.arn },
  ))
}

output "event_source_mapping_uuid" {
  description = "UUID of the mapping from the queue to the function."
  value       = aws_lambda_event_source_mapping.this.uuid
}

output "lambda_environment" {
  description = "Environment variables of the function, e.g. to run the handler in-process with the deployed settings."
  value       = tomap(local.lambda_environment)
}

output "prune_function_name" {
  description = "Name of the pruner function (`<name>-prune`), which deletes expired copies in the destination region and publishes the manual snapshot quota metrics."
  value       = module.pruner.function_name
}

output "prune_function_arn" {
  description = "ARN of the pruner function."
  value       = module.pruner.function_arn
}

output "prune_role_arn" {
  description = "ARN of the pruner's IAM role (`<name>-pruner`): it may delete only this deployment's copies in the destination region."
  value       = module.pruner.role_arn
}

output "scheduled_dead_letter_queue_arn" {
  description = "ARN of the dead-letter queue of scheduled runs that failed (the pruner's schedule)."
  value       = aws_sqs_queue.scheduled_dead_letter.arn
}

output "scheduled_dead_letter_queue_url" {
  description = "URL of the dead-letter queue of scheduled runs that failed: undeliverable schedule events, and invocations that failed after Lambda's retries."
  value       = aws_sqs_queue.scheduled_dead_letter.url
}
