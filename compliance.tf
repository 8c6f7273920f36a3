# Retention a compliance officer can sign (docs/compliance.md): the pruner's calendar tiers and
# minimum-retention lock (their plan-time refusals are the variables' validations), the key's guard (the
# key policy in kms.tf gives the guarded actions to key_admin_principal_arns only), and the SCP that makes
# both hold against an administrator of the account. The module can only output the SCP: the
# organization's management account attaches it to the account that holds the copies.
locals {
  # The pruner's settings beyond retention_days and keep_last, by environment variable; null: not set, and
  # then absent from the environment (pruner.tf).
  retention_settings = {
    KEEP_DAILY         = var.keep_daily
    KEEP_WEEKLY        = var.keep_weekly
    KEEP_MONTHLY       = var.keep_monthly
    KEEP_YEARLY        = var.keep_yearly
    MIN_RETENTION_DAYS = var.min_retention_days
  }

  # What would make every copy unreadable, or take the key away from its admins: only the key admins may
  # (the created key's policy, kms.tf), and only the break-glass principals (the same list) under the SCP.
  # kms:CancelKeyDeletion and kms:EnableKey undo these, so they stay with the account.
  guarded_key_actions = ["kms:DisableKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"]

  # Whether the principal running Terraform is a key admin. STS names a role's session
  # arn:<partition>:sts::<account>:assumed-role/<role name>/<session>, without the role's path, so a
  # session matches a listed role of the same account and name, whatever its path; a user matches its own
  # ARN. try(): a caller ARN of another shape matches nothing. One of no shape AWS gives (an IAM user or
  # root, an STS role or federated session) tells nothing about the deployer, e.g. a test's mocked identity
  # or the local emulator's "sts::<account>:user/...", and the check below stays quiet.
  caller_arn       = data.aws_caller_identity.source.arn
  caller_is_known  = can(regex("^arn:[^:]+:(iam::[0-9]{12}:(root|user/)|sts::[0-9]{12}:(assumed-role|federated-user)/)", local.caller_arn))
  caller_role_name = try(regex("^arn:[^:]+:sts::[0-9]{12}:assumed-role/([^/]+)/", local.caller_arn)[0], null)
  # (HCL evaluates both sides of ||: each side has its own try.)
  deployer_is_key_admin = anytrue([
    for arn in var.key_admin_principal_arns : arn == local.caller_arn || try(
      split(":", arn)[4] == split(":", local.caller_arn)[4] &&
      regex(":role/(?:.*/)?([^/]+)$", arn)[0] == local.caller_role_name,
      false
    )
  ])

  # The SCP's exceptions for this deployment's copies: the pruner deletes the expired ones, the copier its
  # own failed ones (status failed or incompatible-restore, which block the next copy at the same name).
  # Their own policies already restrict both to copies with the identity tags (main.tf's own_copy_conditions),
  # and their code to the copier's identifiers (ownership.py).
  copy_deleting_role_arns = [module.pruner.role_arn, module.copier.role_arn]

  # This deployment's copies, as an SCP can tell them: destination-region snapshots of this account
  # carrying this deployment's name in the identity tag. RDS authorises each action below against the
  # snapshot's own tags, which only the copier writes (at creation) and nobody may change under the SCP.
  protected_copies = {
    Resource = local.destination_snapshot_arns
    StringEquals = {
      "aws:ResourceTag/${local.copy_tags.deployment}" = var.name
    }
  }

  backup_protection_scp = {
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "DenyDeletingCopies"
          Effect   = "Deny"
          Action   = [for kind, spec in local.snapshot_kinds : "rds:${spec.delete_action}"]
          Resource = local.protected_copies.Resource
          Condition = {
            StringEquals = local.protected_copies.StringEquals
            ArnNotLike   = { "aws:PrincipalArn" = local.copy_deleting_role_arns }
          }
        },
        # Sharing a copy with another account, changing its engine version, and changing its tags (which
        # would take it out of this statement and the one above): nobody, not even the module's roles.
        {
          Sid    = "DenyChangingCopies"
          Effect = "Deny"
          Action = [
            "rds:AddTagsToResource",
            "rds:ModifyDBClusterSnapshotAttribute",
            "rds:ModifyDBSnapshot",
            "rds:ModifyDBSnapshotAttribute",
            "rds:RemoveTagsFromResource",
          ]
          Resource  = local.protected_copies.Resource
          Condition = { StringEquals = local.protected_copies.StringEquals }
        },
      ],
      # With an existing key (kms_key_arn) and no key admins named, the SCP cannot say who the break-glass
      # principals are: it then guards the copies only, and the check key_admins says so.
      length(var.key_admin_principal_arns) == 0 ? [] : [
        {
          Sid       = "DenyDisablingOrDeletingTheKey"
          Effect    = "Deny"
          Action    = local.guarded_key_actions
          Resource  = [local.kms_key_arn]
          Condition = { ArnNotLike = { "aws:PrincipalArn" = var.key_admin_principal_arns } }
        },
      ],
    )
  }
}

# Warnings, not refusals: the plan goes ahead (the variables' validations refuse what cannot work).
check "key_admins" {
  # Terraform changes the key policy with kms:PutKeyPolicy, which the guard gives the key admins only.
  assert {
    condition     = !local.create_kms_key || !local.caller_is_known || local.deployer_is_key_admin
    error_message = "The principal running Terraform (${local.caller_arn}) is not in key_admin_principal_arns: the key the module creates gives kms:PutKeyPolicy, kms:DisableKey and kms:ScheduleKeyDeletion only to those principals, so from this apply on only a listed admin can change the key's policy (a later apply that changes it fails for this principal; the key is created past KMS's lockout safety check). Add the deploying role to key_admin_principal_arns if Terraform should keep managing the key policy."
  }

  assert {
    condition     = local.create_kms_key || length(var.key_admin_principal_arns) > 0
    error_message = "kms_key_arn names an existing key and key_admin_principal_arns is empty: backup_protection_scp_json then protects the copies only, not the key (it cannot name the break-glass principals that alone may disable the key, schedule its deletion or change its policy). List them in key_admin_principal_arns."
  }
}
