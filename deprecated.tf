# The input names before 0.5 (variables.tf, "Deprecated names"): each still works for one minor version.
# Set, it is used instead of its new name; unset (null, the default), the new name's value is. Removed in
# 0.6, with this file.
locals {
  copier_memory_size       = var.lambda_memory_size != null ? var.lambda_memory_size : var.copier_memory_size
  copier_timeout           = var.lambda_timeout != null ? var.lambda_timeout : var.copier_timeout
  pruner_schedule          = var.prune_schedule != null ? var.prune_schedule : var.pruner_schedule
  pruner_dry_run           = var.prune_dry_run != null ? var.prune_dry_run : var.pruner_dry_run
  pruner_timeout           = var.prune_lambda_timeout != null ? var.prune_lambda_timeout : var.pruner_timeout
  reconciler_schedule      = var.reconcile_schedule != null ? var.reconcile_schedule : var.reconciler_schedule
  reconciler_grace_minutes = var.reconcile_grace_minutes != null ? var.reconcile_grace_minutes : var.reconciler_grace_minutes
  reconciler_timeout       = var.reconcile_lambda_timeout != null ? var.reconcile_lambda_timeout : var.reconciler_timeout

  # The old names that are set, each with the name to use instead.
  deprecated_inputs_set = [
    for old, new in {
      lambda_memory_size       = { name = "copier_memory_size", set = var.lambda_memory_size != null }
      lambda_timeout           = { name = "copier_timeout", set = var.lambda_timeout != null }
      prune_schedule           = { name = "pruner_schedule", set = var.prune_schedule != null }
      prune_dry_run            = { name = "pruner_dry_run", set = var.prune_dry_run != null }
      prune_lambda_timeout     = { name = "pruner_timeout", set = var.prune_lambda_timeout != null }
      reconcile_schedule       = { name = "reconciler_schedule", set = var.reconcile_schedule != null }
      reconcile_grace_minutes  = { name = "reconciler_grace_minutes", set = var.reconcile_grace_minutes != null }
      reconcile_lambda_timeout = { name = "reconciler_timeout", set = var.reconcile_lambda_timeout != null }
    } : "${old} (use ${new.name})" if new.set
  ]
}

# A warning on every plan that sets an old name, naming its replacement; the plan goes on.
check "deprecated_inputs" {
  assert {
    condition     = length(local.deprecated_inputs_set) == 0
    error_message = "Deprecated inputs, removed in 0.6: ${join(", ", local.deprecated_inputs_set)}. While an old name is set, its value is used and the new name's is ignored: rename it."
  }
}
