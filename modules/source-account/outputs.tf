output "function_name" {
  description = "Name of the share function (`<name>`)."
  value       = module.function.function_name
}

output "function_arn" {
  description = "ARN of the share function."
  value       = module.function.function_arn
}

output "role_arn" {
  description = "ARN of the share function's role (`<name>-<region>`), the only principal of this account that the vaults' queues and reader roles accept."
  value       = module.function.role_arn
}

output "role_name" {
  description = "Name of the share function's role, `<name>-<region>`: the vaults' source_share_role_name is `<name>`."
  value       = module.function.role_name
}

output "log_group_name" {
  description = "Name of the share function's log group (`/aws/lambda/<name>`), with a JSON line for each decision (shared, share copy started, unshareable and why, share removed, timed out)."
  value       = module.function.log_group_name
}

output "environment" {
  description = "Environment variables of the share function, e.g. to run its handler in-process with the deployed settings."
  value       = module.function.function_environment
}

output "share_kms_key_arn" {
  description = "ARN of the share key: share copies are encrypted with it, and the vaults' copier roles may use it through RDS only."
  value       = aws_kms_key.share.arn
}

output "queue_url" {
  description = "URL of the queue of RDS snapshot-created events waiting for the share function (`<name>-events`)."
  value       = aws_sqs_queue.events.url
}

output "queue_arn" {
  description = "ARN of the events queue."
  value       = aws_sqs_queue.events.arn
}

output "dead_letter_queue_url" {
  description = "URL of the dead-letter queue (`<name>-dlq`): events the function could not handle (with the reason as attributes), undeliverable events of both rules, and failed clean-up runs."
  value       = aws_sqs_queue.dead_letter.url
}

output "dead_letter_queue_arn" {
  description = "ARN of the dead-letter queue."
  value       = aws_sqs_queue.dead_letter.arn
}

output "rule_name" {
  description = "Name of the EventBridge rule matching RDS's snapshot-created events (`<name>-snapshot-created`)."
  value       = aws_cloudwatch_event_rule.snapshot_created.name
}

output "rule_arn" {
  description = "ARN of the snapshot-created rule."
  value       = aws_cloudwatch_event_rule.snapshot_created.arn
}

output "cleanup_rule_name" {
  description = "Name of the schedule rule that runs the clean-up (`<name>-cleanup`)."
  value       = module.function.schedule_rule_name
}

output "alarm_arns" {
  description = "The source side's alarms by purpose: dead_letter_queue_depth, unshareable_snapshots, share_timed_out (the function's errors alarm is the function module's)."
  value       = { for key, alarm in aws_cloudwatch_metric_alarm.this : key => alarm.arn }
}
