# ---- The vault (backup account) ----

output "backup_account" {
  description = "The vault's backup_account output, which the source side's `vaults` takes."
  value       = module.vault.backup_account
}

output "function_name" {
  description = "Name of the vault's copier function."
  value       = module.vault.copier_function_name
}

output "queue_url" {
  description = "URL of the vault's events queue, which the source side sends to."
  value       = module.vault.queue_url
}

output "dead_letter_queue_url" {
  description = "URL of the vault's dead-letter queue; messages carry the reason as attributes."
  value       = module.vault.dead_letter_queue_url
}

output "kms_key_arn" {
  description = "ARN of the vault's key (destination region), which encrypts the copies."
  value       = module.vault.kms_key_arn
}

output "rule_name" {
  description = "Name of the vault's own snapshot-created rule (the vault account's own snapshots; none in a pure backup account)."
  value       = module.vault.rule_name
}

output "reconcile_function_name" {
  description = "Name of the vault's reconciler function (`status`, `backfill` and `restore` take it as --function)."
  value       = module.vault.reconciler_function_name
}

output "prune_function_name" {
  description = "Name of the vault's pruner function."
  value       = module.vault.pruner_function_name
}

output "copy_requests_table_name" {
  description = "Name of the vault's copy requests table."
  value       = module.vault.copy_requests_table_name
}

output "operator_policy_json" {
  description = "The least-privilege policy for the person who runs restore and drill in the vault account."
  value       = module.vault.operator_policy_json
}

# ---- The source side (source account) ----

output "share_function_name" {
  description = "Name of the source side's share function."
  value       = module.source.function_name
}

output "share_role_arn" {
  description = "ARN of the source side's role (`<source_share_name>-<source region>`)."
  value       = module.source.role_arn
}

output "share_queue_url" {
  description = "URL of the source side's events queue."
  value       = module.source.queue_url
}

output "share_dead_letter_queue_url" {
  description = "URL of the source side's dead-letter queue."
  value       = module.source.dead_letter_queue_url
}

output "share_rule_name" {
  description = "Name of the source side's snapshot-created rule."
  value       = module.source.rule_name
}

output "share_cleanup_rule_name" {
  description = "Name of the source side's clean-up schedule rule."
  value       = module.source.cleanup_rule_name
}

output "share_kms_key_arn" {
  description = "ARN of the source side's share key."
  value       = module.source.share_kms_key_arn
}
