# ---- Copier ----

output "copier_function_name" {
  description = "Name of the copier function (`<name>`), which copies the snapshots of the events queue to the destination region."
  value       = module.copier.function_name
}

output "copier_function_arn" {
  description = "ARN of the copier function."
  value       = module.copier.function_arn
}

output "copier_role_arn" {
  description = "ARN of the copier's IAM role (`<name>-copier`); an existing destination key's policy must allow it kms:CreateGrant and kms:DescribeKey."
  value       = module.copier.role_arn
}

output "copier_log_group_name" {
  description = "Name of the copier function's log group (`/aws/lambda/<name>`)."
  value       = module.copier.log_group_name
}

output "copier_environment" {
  description = "Environment variables of the copier function, e.g. to run its handler in-process with the deployed settings."
  value       = tomap(local.copier_environment)
}

output "event_source_mapping_uuid" {
  description = "UUID of the mapping from the events queue to the copier function."
  value       = aws_lambda_event_source_mapping.this.uuid
}

# ---- Events and queues ----

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

output "scheduled_dead_letter_queue_arn" {
  description = "ARN of the dead-letter queue of scheduled runs that failed (the pruner's and the reconciler's schedules)."
  value       = aws_sqs_queue.scheduled_dead_letter.arn
}

output "scheduled_dead_letter_queue_url" {
  description = "URL of the dead-letter queue of scheduled runs of the pruner and the reconciler that failed: undeliverable schedule events, and invocations that failed after Lambda's retries."
  value       = aws_sqs_queue.scheduled_dead_letter.url
}

# ---- Pruner ----

output "pruner_function_name" {
  description = "Name of the pruner function (`<name>-prune`), which deletes expired copies in the destination region and publishes the manual snapshot quota metrics."
  value       = module.pruner.function_name
}

output "pruner_function_arn" {
  description = "ARN of the pruner function."
  value       = module.pruner.function_arn
}

output "pruner_role_arn" {
  description = "ARN of the pruner's IAM role (`<name>-pruner`): it may delete only this deployment's copies in the destination region."
  value       = module.pruner.role_arn
}

output "pruner_log_group_name" {
  description = "Name of the pruner function's log group (`/aws/lambda/<name>-prune`)."
  value       = module.pruner.log_group_name
}

# ---- Reconciler ----

output "reconciler_function_name" {
  description = "Name of the reconciler function (`<name>-reconcile`), which enqueues the source snapshots whose event was missed and publishes the recovery point metrics; invoke it to reconcile now rather than on its schedule. The commands' `--function` takes it."
  value       = module.reconciler.function_name
}

output "reconciler_function_arn" {
  description = "ARN of the reconciler function."
  value       = module.reconciler.function_arn
}

output "reconciler_role_arn" {
  description = "ARN of the reconciler's IAM role (`<name>-reconciler`): it may read snapshots in both regions, send to the copier's queue and use the copy requests table, nothing more."
  value       = module.reconciler.role_arn
}

output "reconciler_log_group_name" {
  description = "Name of the reconciler function's log group (`/aws/lambda/<name>-reconcile`)."
  value       = module.reconciler.log_group_name
}

output "copy_requests_table_name" {
  description = "Name of the DynamoDB table (source region) of the copies requested through the queue, by the reconciler, the backfill and the copier (`<name>-copy-requests`); it keeps the reconciler from enqueueing a waiting snapshot twice; `rds-snapshot-copy status` reads it."
  value       = aws_dynamodb_table.copy_requests.name
}

# ---- Encryption, alarms and the operator ----

output "kms_key_arn" {
  description = "ARN of the destination-region KMS key the copies are encrypted with (created or given)."
  value       = local.kms_key_arn
}

output "alarm_arns" {
  description = "ARNs of the CloudWatch alarms, by purpose: function_errors, prune_function_errors and reconcile_function_errors (the copier's, the pruner's and the reconciler's errors), queue_oldest_message_age, dead_letter_queue_depth, dead_lettered, scheduled_dead_letter_queue_depth, manual_snapshot_quota_db / manual_snapshot_quota_cluster (headroom under the destination's manual snapshot quotas), recovery_point (a source past rpo_hours, or the reconciler silent for two runs), and with drill_max_age_days drill_age (no drill that passed within that many days)."
  value = tomap(merge(
    {
      function_errors           = module.copier.errors_alarm_arn
      prune_function_errors     = module.pruner.errors_alarm_arn
      reconcile_function_errors = module.reconciler.errors_alarm_arn
    },
    { for purpose, alarm in aws_cloudwatch_metric_alarm.this : purpose => alarm.arn },
  ))
}

output "operator_policy_json" {
  description = "The least-privilege IAM policy (JSON) for the person who runs `rds-snapshot-copy restore` and `drill` (the README's regional failover runbook): read in the destination (and, for defaults, the source) region, restore the copies there with their key, delete only what a drill created (named `drill-*`, tagged `rds_snapshot_copy_drill`), publish drill metrics in `metric_namespace`. Rendered, not attached: attach it to the operator's role, group or permission set."
  value       = data.aws_iam_policy_document.operator.json
}

output "backup_protection_scp_json" {
  description = "A service control policy (JSON) for the account that holds the copies, which makes the retention hold against its administrators (compliance.tf, docs/compliance.md): it denies deleting this deployment's copies (destination-region snapshots tagged with its name) to every principal but the pruner's and the copier's roles (the copier deletes its own failed copies only), changing their tags or sharing them to everyone, and, with key_admin_principal_arns, disabling the key, scheduling its deletion or changing its policy to everyone but those principals (the break-glass ones). Rendered, not attached: the module cannot attach it; the organization's management account attaches it to the account (SCPs do not bind the management account itself)."
  value       = jsonencode(local.backup_protection_scp)
}

# ---- Deprecated names (0.5; removed in 0.6) ----
# The names before 0.5, each the same value as its new name.

output "function_name" {
  description = "Deprecated: use copier_function_name; removed in 0.6."
  value       = module.copier.function_name
}

output "function_arn" {
  description = "Deprecated: use copier_function_arn; removed in 0.6."
  value       = module.copier.function_arn
}

output "role_arn" {
  description = "Deprecated: use copier_role_arn; removed in 0.6."
  value       = module.copier.role_arn
}

output "log_group_name" {
  description = "Deprecated: use copier_log_group_name; removed in 0.6."
  value       = module.copier.log_group_name
}

output "lambda_environment" {
  description = "Deprecated: use copier_environment; removed in 0.6."
  value       = tomap(local.copier_environment)
}

output "prune_function_name" {
  description = "Deprecated: use pruner_function_name; removed in 0.6."
  value       = module.pruner.function_name
}

output "prune_function_arn" {
  description = "Deprecated: use pruner_function_arn; removed in 0.6."
  value       = module.pruner.function_arn
}

output "prune_role_arn" {
  description = "Deprecated: use pruner_role_arn; removed in 0.6."
  value       = module.pruner.role_arn
}

output "reconcile_function_name" {
  description = "Deprecated: use reconciler_function_name; removed in 0.6."
  value       = module.reconciler.function_name
}

output "reconcile_function_arn" {
  description = "Deprecated: use reconciler_function_arn; removed in 0.6."
  value       = module.reconciler.function_arn
}

output "reconcile_role_arn" {
  description = "Deprecated: use reconciler_role_arn; removed in 0.6."
  value       = module.reconciler.role_arn
}

# ---- Backup account (vault) ----

output "backup_account" {
  description = "Backup-account mode: what the source side (modules/source-account) needs of this vault, one element of its `vaults` input: account_id, source_region, destination_region, queue_url and queue_arn (the events queue it sends to), reader_role_arn (`<name>-vault-reader`, which its clean-up assumes to see the vault's copies), copier_role_arn (which its share key lets use the key through RDS) and deployment_name. Null in the single-account mode."
  value = local.backup_mode ? {
    account_id         = local.account_id
    source_region      = local.source_region
    destination_region = local.destination_region
    queue_url          = aws_sqs_queue.this.url
    queue_arn          = aws_sqs_queue.this.arn
    reader_role_arn    = aws_iam_role.vault_reader[0].arn
    copier_role_arn    = module.copier.role_arn
    deployment_name    = var.name
  } : null
}
