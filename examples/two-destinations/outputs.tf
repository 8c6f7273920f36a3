output "function_names" {
  description = "Names of the copier functions (source region), by destination region."
  value = {
    (var.first_destination_region)  = module.copy_to_first_destination.copier_function_name
    (var.second_destination_region) = module.copy_to_second_destination.copier_function_name
  }
}

output "rule_names" {
  description = "Names of the EventBridge rules (source region, default bus) matching snapshot-created events, by destination region."
  value = {
    (var.first_destination_region)  = module.copy_to_first_destination.rule_name
    (var.second_destination_region) = module.copy_to_second_destination.rule_name
  }
}

output "queue_urls" {
  description = "URLs of the queues holding snapshot events until they are copied, by destination region."
  value = {
    (var.first_destination_region)  = module.copy_to_first_destination.queue_url
    (var.second_destination_region) = module.copy_to_second_destination.queue_url
  }
}

output "dead_letter_queue_urls" {
  description = "URLs of the dead-letter queues, by destination region; their messages carry the reason they were not copied."
  value = {
    (var.first_destination_region)  = module.copy_to_first_destination.dead_letter_queue_url
    (var.second_destination_region) = module.copy_to_second_destination.dead_letter_queue_url
  }
}

output "kms_key_arns" {
  description = "ARNs of the KMS keys the copies are encrypted with, one in each destination region, by destination region."
  value = {
    (var.first_destination_region)  = module.copy_to_first_destination.kms_key_arn
    (var.second_destination_region) = module.copy_to_second_destination.kms_key_arn
  }
}

output "role_arns" {
  description = "ARNs of the copier roles, by destination region; customer-managed source keys' policies must allow both."
  value = {
    (var.first_destination_region)  = module.copy_to_first_destination.copier_role_arn
    (var.second_destination_region) = module.copy_to_second_destination.copier_role_arn
  }
}

output "reconcile_function_names" {
  description = "Names of the reconciler functions (source region), by destination region; each enqueues on its own copier's queue what is missing in its destination."
  value = {
    (var.first_destination_region)  = module.copy_to_first_destination.reconciler_function_name
    (var.second_destination_region) = module.copy_to_second_destination.reconciler_function_name
  }
}

output "copy_requests_table_names" {
  description = "Names of the DynamoDB tables of requested copies (source region), by destination region."
  value = {
    (var.first_destination_region)  = module.copy_to_first_destination.copy_requests_table_name
    (var.second_destination_region) = module.copy_to_second_destination.copy_requests_table_name
  }
}

output "backup_protection_scp_jsons" {
  description = "The SCPs that make each destination's retention hold against the account's administrators, by destination region (docs/compliance.md): the organization's management account attaches them to the account; the module cannot. Each protects its own instance's copies and key."
  value = {
    (var.first_destination_region)  = module.copy_to_first_destination.backup_protection_scp_json
    (var.second_destination_region) = module.copy_to_second_destination.backup_protection_scp_json
  }
}
