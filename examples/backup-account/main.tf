# The backup-account mode in one stack: a VAULT in the backup account (the module at the repository's root,
# with source_account_ids) and the SOURCE SIDE in one source account (modules/source-account), two accounts
# through two sets of providers. The stack runs with the backup account's credentials (or assumes
# vault_account_role_arn) and assumes a role in the source account for the source side. Copy this directory
# into your own stack and point the modules' `source` at a released version
# (`git::https://github.com/OWNER/terraform-aws-rds-snapshot-copy.git?ref=<release tag>` and
# `...//modules/source-account?ref=<release tag>`). For many source accounts, see docs/backup-account.md:
# one source module call per account (a provider each), or a pipeline per account.

# The backup account: the source region (the vault's queue, functions, roles) and the destination region
# (its copies and key).
provider "aws" {
  alias  = "vault_source"
  region = var.source_region

  dynamic "assume_role" {
    for_each = var.vault_account_role_arn == null ? [] : [var.vault_account_role_arn]

    content {
      role_arn = assume_role.value
    }
  }
}

provider "aws" {
  alias  = "vault_destination"
  region = var.destination_region

  dynamic "assume_role" {
    for_each = var.vault_account_role_arn == null ? [] : [var.vault_account_role_arn]

    content {
      role_arn = assume_role.value
    }
  }
}

# The source account, in the source region, through a role Terraform may assume there (AWS Organizations
# creates OrganizationAccountAccessRole in the accounts it creates).
provider "aws" {
  alias  = "app"
  region = var.source_region

  assume_role {
    role_arn = "arn:${var.partition}:iam::${var.source_account_id}:role/${var.source_account_role_name}"
  }
}

module "vault" {
  # The repository's root. In your stack:
  #   source = "git::https://github.com/OWNER/terraform-aws-rds-snapshot-copy.git?ref=<release tag>"
  source = "../../"

  providers = {
    aws.source      = aws.vault_source
    aws.destination = aws.vault_destination
  }

  name = var.name

  # Backup-account mode: the accounts whose shared snapshots this vault copies; only their role
  # <source_share_role_name>-<source region> may send to its queue and assume its reader role.
  source_account_ids     = [var.source_account_id]
  source_share_role_name = var.source_share_name

  # The vault's key, its guard, and whether a destroy may schedule its deletion (variables.tf).
  key_admin_principal_arns = var.key_admin_principal_arns
  kms_key_prevent_destroy  = var.kms_key_prevent_destroy

  lambda_package_path = var.lambda_package_path
  lambda_package_hash = var.lambda_package_hash

  source_filter            = var.source_filter
  reconciler_grace_minutes = var.reconcile_grace_minutes
  drill_max_age_days       = var.drill_max_age_days

  tags = var.tags
}

module "source" {
  # In your stack:
  #   source = "git::https://github.com/OWNER/terraform-aws-rds-snapshot-copy.git//modules/source-account?ref=<release tag>"
  source = "../../modules/source-account"

  providers = {
    aws = aws.app
  }

  # The vaults' source_share_role_name: the role is <name>-<source region>.
  name   = var.source_share_name
  vaults = [module.vault.backup_account]

  # Customer keys whose policies let the vault's copier role use them through RDS: manual snapshots under
  # them are shared as they are; everything else gets a share copy under the share key.
  shareable_kms_key_arns = var.shareable_kms_key_arns

  source_filter = var.source_filter

  lambda_package_path = var.lambda_package_path
  lambda_package_hash = var.lambda_package_hash

  tags = var.tags
}
