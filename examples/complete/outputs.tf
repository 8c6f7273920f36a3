# The outputs of the repository's root stack of 0.4.x, by the same names (scripts that read them keep
# working); the module's own outputs name the copier, the pruner and the reconciler symmetrically.

output "function_arn" {
  description = "ARN of the copier function."
  value       = module.rds_snapshot_copy.copier_function_arn
}

output "function_name" {
  description = "Name of the copier function."
  value       = module.rds_snapshot_copy.copier_function_name
}

output "role_arn" {
  description = "ARN of the function's IAM role; an existing destination key's policy must allow it kms:CreateGrant and kms:DescribeKey."
  value       = module.rds_snapshot_copy.copier_role_arn
}

output "rule_arn" {
  description = "ARN of the EventBridge rule matching snapshot-created events."
  value       = module.rds_snapshot_copy.rule_arn
}

output "rule_name" {
  description = "Name of the EventBridge rule matching snapshot-created events."
  value       = module.rds_snapshot_copy.rule_name
}

output "queue_arn" {
  description = "ARN of the queue holding snapshot events until they are copied."
  value       = module.rds_snapshot_copy.queue_arn
}

output "queue_url" {
  description = "URL of the queue holding snapshot events until they are copied."
  value       = module.rds_snapshot_copy.queue_url
}

output "dead_letter_queue_arn" {
  description = "ARN of the dead-letter queue of events that were not copied."
  value       = module.rds_snapshot_copy.dead_letter_queue_arn
}

output "dead_letter_queue_url" {
  description = "URL of the dead-letter queue of events that were not copied; messages carry the reason as attributes."
  value       = module.rds_snapshot_copy.dead_letter_queue_url
}

output "kms_key_arn" {
  description = "ARN of the destination-region KMS key the copies are encrypted with (created or given)."
  value       = module.rds_snapshot_copy.kms_key_arn
}

output "log_group_name" {
  description = "Name of the function's log group."
  value       = module.rds_snapshot_copy.copier_log_group_name
}

output "alarm_arns" {
  description = "ARNs of the CloudWatch alarms, by purpose."
  value       = module.rds_snapshot_copy.alarm_arns
}

output "event_source_mapping_uuid" {
  description = "UUID of the mapping from the queue to the function."
  value       = module.rds_snapshot_copy.event_source_mapping_uuid
}

output "lambda_environment" {
  description = "Environment variables of the function, e.g. to run the handler in-process with the deployed settings."
  value       = module.rds_snapshot_copy.copier_environment
}

output "prune_function_name" {
  description = "Name of the pruner function, which deletes expired copies in the destination region and publishes the manual snapshot quota metrics."
  value       = module.rds_snapshot_copy.pruner_function_name
}

output "scheduled_dead_letter_queue_url" {
  description = "URL of the dead-letter queue of failed scheduled runs (the pruner's and the reconciler's schedules)."
  value       = module.rds_snapshot_copy.scheduled_dead_letter_queue_url
}

output "reconcile_function_name" {
  description = "Name of the reconciler function, which enqueues the snapshots whose event was missed and publishes the recovery point metrics."
  value       = module.rds_snapshot_copy.reconciler_function_name
}

output "copy_requests_table_name" {
  description = "Name of the DynamoDB table of requested copies, which keeps the reconciler from enqueueing a waiting snapshot twice."
  value       = module.rds_snapshot_copy.copy_requests_table_name
}

output "operator_policy_json" {
  description = "The least-privilege IAM policy (JSON) for the person who runs `rds-snapshot-copy restore` and `drill`; attach it to the operator's role, group or permission set."
  value       = module.rds_snapshot_copy.operator_policy_json
}

output "backup_protection_scp_json" {
  description = "The SCP that makes the retention hold against the account's administrators (docs/compliance.md): the organization's management account attaches it to this account; the module cannot."
  value       = module.rds_snapshot_copy.backup_protection_scp_json
}
