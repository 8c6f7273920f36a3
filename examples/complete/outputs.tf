output "function_name" {
  description = "Name of the copier function."
  value       = module.rds_snapshot_copy.function_name
}

output "rule_name" {
  description = "Name of the EventBridge rule (source region, default bus) matching snapshot-created events."
  value       = module.rds_snapshot_copy.rule_name
}

output "queue_url" {
  description = "URL of the queue holding snapshot events until they are copied."
  value       = module.rds_snapshot_copy.queue_url
}

output "dead_letter_queue_url" {
  description = "URL of the dead-letter queue; its messages carry the reason they were not copied."
  value       = module.rds_snapshot_copy.dead_letter_queue_url
}

output "prune_function_name" {
  description = "Name of the pruner function, which deletes expired copies in the destination region and publishes the manual snapshot quota metrics."
  value       = module.rds_snapshot_copy.prune_function_name
}

output "scheduled_dead_letter_queue_url" {
  description = "URL of the dead-letter queue of failed scheduled runs of the pruner and the reconciler."
  value       = module.rds_snapshot_copy.scheduled_dead_letter_queue_url
}

output "reconcile_function_name" {
  description = "Name of the reconciler function, which enqueues the snapshots whose event was missed and publishes the recovery point metrics."
  value       = module.rds_snapshot_copy.reconcile_function_name
}

output "copy_requests_table_name" {
  description = "Name of the DynamoDB table of requested copies, which `rds-snapshot-copy status` reads."
  value       = module.rds_snapshot_copy.copy_requests_table_name
}

output "kms_key_arn" {
  description = "ARN of the destination-region KMS key the copies are encrypted with."
  value       = module.rds_snapshot_copy.kms_key_arn
}

output "event_source_mapping_uuid" {
  description = "UUID of the mapping from the queue to the function."
  value       = module.rds_snapshot_copy.event_source_mapping_uuid
}

output "lambda_environment" {
  description = "Environment variables of the function (to run the handler locally with the deployed settings)."
  value       = module.rds_snapshot_copy.lambda_environment
}

output "operator_policy_json" {
  description = "The least-privilege IAM policy (JSON) for the person who runs `rds-snapshot-copy restore` and `drill`; attach it to the operator's role, group or permission set."
  value       = module.rds_snapshot_copy.operator_policy_json
}
