# Copies every new RDS and Aurora snapshot of `source_region` to two regions: one module instance per
# source/destination pair. Both instances share the source provider (their rules, queues, functions
# and alarms live side by side in the source region, told apart by `name`); each has a destination
# provider of its own, where it creates its own KMS key. Copy this directory into your own stack and
# point the modules' `source` at a released version of the module
# (`git::https://github.com/OWNER/terraform-aws-rds-snapshot-copy.git?ref=<release tag>`).

provider "aws" {
  alias  = "source"
  region = var.source_region
}

provider "aws" {
  alias  = "first_destination"
  region = var.first_destination_region
}

provider "aws" {
  alias  = "second_destination"
  region = var.second_destination_region
}

locals {
  # Every resource of an instance in the source region is named after its `name` (function, queue,
  # dead-letter queue, rule, role, alarms): two instances with the same name would collide there.
  first_name  = "${var.name}-${var.first_destination_region}"
  second_name = "${var.name}-${var.second_destination_region}"
}

module "copy_to_first_destination" {
  source = "../../"

  providers = {
    aws.source      = aws.source
    aws.destination = aws.first_destination
  }

  name = local.first_name

  # Each instance zips the module's own lambda/ into a file of its own; a pipeline that builds once passes
  # one prebuilt package to both instead (null: not passed).
  lambda_package_path = var.lambda_package_path
  lambda_package_hash = var.lambda_package_hash

  copy_wait_max_hours = 168

  # Each instance's key is protected from destroy by default (variables.tf: how to remove the stack), and
  # guarded: only the key admins may disable it, schedule its deletion or change its policy.
  kms_key_prevent_destroy  = var.kms_key_prevent_destroy
  key_admin_principal_arns = var.key_admin_principal_arns

  alarm_sns_topic_arn = var.alarm_sns_topic_arn

  tags = merge(var.tags, { destination_region = var.first_destination_region })
}

module "copy_to_second_destination" {
  source = "../../"

  providers = {
    aws.source      = aws.source
    aws.destination = aws.second_destination
  }

  name = local.second_name

  lambda_package_path = var.lambda_package_path
  lambda_package_hash = var.lambda_package_hash

  copy_wait_max_hours = 168

  kms_key_prevent_destroy  = var.kms_key_prevent_destroy
  key_admin_principal_arns = var.key_admin_principal_arns

  alarm_sns_topic_arn = var.alarm_sns_topic_arn

  tags = merge(var.tags, { destination_region = var.second_destination_region })
}
