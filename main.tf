# The module: the repository's root, called with two providers (aws.source, aws.destination) and no
# provider blocks of its own. One concern per file: main.tf (the regions and account, the locals several
# files share, the receive budget), package.tf (the functions' zip), copier.tf, pruner.tf and reconciler.tf
# (the three functions), iam_copier.tf, iam_pruner.tf, iam_reconciler.tf and iam_operator.tf (the
# policies), kms.tf, sqs.tf (every queue), copy_requests.tf, events.tf (the snapshot rule), alarms.tf,
# moved.tf (earlier addresses), deprecated.tf (earlier input names); variables.tf and outputs.tf by section.

# The regions come from the two provider configurations; mistakes about them fail the plan here, with
# the values named, rather than at the first copy or alarm. An ARN's region is its fourth field
# (arn:partition:service:region:account:resource); try() because the variables' own validations report
# malformed ARNs. Error messages are evaluated even when the condition holds: jsonencode() renders a null.
data "aws_region" "source" {
  provider = aws.source

  lifecycle {
    # The alarms live in the source region, and CloudWatch alarms only notify topics of their own region.
    postcondition {
      condition     = var.alarm_sns_topic_arn == null || try(split(":", var.alarm_sns_topic_arn)[3], self.name) == self.name
      error_message = "alarm_sns_topic_arn ${jsonencode(var.alarm_sns_topic_arn)} is a topic of ${try(split(":", var.alarm_sns_topic_arn)[3], "?")}, but the alarms are in the source region ${self.name} and CloudWatch alarms only notify topics of their own region: give a topic of ${self.name}, or null for alarms without actions."
    }
  }
}

data "aws_region" "destination" {
  provider = aws.destination

  lifecycle {
    postcondition {
      condition     = self.name != data.aws_region.source.name
      error_message = "The source and destination regions are both ${self.name}: the module makes cross-region copies, so the aws.source and aws.destination providers it is given must be configured with two different regions."
    }

    # RDS encrypts a copy with a key of the region it copies to; the function would refuse any other.
    postcondition {
      condition     = var.kms_key_arn == null || try(split(":", var.kms_key_arn)[3], self.name) == self.name
      error_message = "kms_key_arn ${jsonencode(var.kms_key_arn)} is a key of ${try(split(":", var.kms_key_arn)[3], "?")}, not of the destination region ${self.name}, where the copies are made and encrypted: give a key of ${self.name}, or null to create one."
    }
  }
}

data "aws_caller_identity" "source" {
  provider = aws.source
}

data "aws_partition" "source" {
  provider = aws.source
}

# The receive budget's formula lives in one place, which the burst benchmark evaluates too.
module "receive_budget" {
  source = "./modules/receive-budget"

  copy_wait_max_hours    = var.copy_wait_max_hours
  wait_delay_max_seconds = var.wait_delay_max_seconds
}

locals {
  # The snapshot kinds (DB, cluster) and their snapshot-created events live in one file, in the functions'
  # package, which reads the same catalogue (lambda/snapshot_copy/kinds.py).
  snapshot_kinds = jsondecode(file("${path.module}/lambda/snapshot_copy/snapshot_kinds.json"))

  # The tags every copy carries, from the file the functions read too (lambda/snapshot_copy/tagging.py).
  copy_tags = jsondecode(file("${path.module}/lambda/snapshot_copy/copy_tags.json"))

  # What IAM can know of "this deployment's copy": the tags the copier sets, all three. The deployment tag
  # with this deployment's name (two deployments may share a source region), the source_region tag with this
  # source region, and a source_snapshot_arn tag. RDS authorises a delete against the snapshot's own tags
  # (aws:ResourceTag). Tags alone prove nothing (CopyTags copies them onto an operator's own copy, and
  # whoever may tag can write them), so the functions also require the copier's identifier before they
  # delete (lambda/snapshot_copy/ownership.py): the policy is the outer fence, the code the inner one.
  # Both deleting roles use these conditions: the pruner's expired copies (iam_pruner.tf) and the copier's
  # broken ones (iam_copier.tf).
  own_copy_conditions = [
    { test = "StringEquals", variable = "aws:ResourceTag/${local.copy_tags.deployment}", values = [var.name] },
    { test = "StringEquals", variable = "aws:ResourceTag/${local.copy_tags.source_region}", values = [local.source_region] },
    { test = "Null", variable = "aws:ResourceTag/${local.copy_tags.source_snapshot_arn}", values = ["false"] },
  ]

  # Every known snapshot-created event ID, with its kind and detail type.
  snapshot_created_events = merge([
    for kind, spec in local.snapshot_kinds : {
      for id, event in spec.created_events : id => {
        kind        = kind
        detail_type = spec.detail_type
      }
    }
  ]...)

  enabled_event_ids = sort(distinct(var.snapshot_event_ids))
  enabled_detail_types = sort(distinct([
    for id in local.enabled_event_ids : local.snapshot_created_events[id].detail_type
  ]))

  source_region      = data.aws_region.source.name
  destination_region = data.aws_region.destination.name
  account_id         = data.aws_caller_identity.source.account_id
  partition          = data.aws_partition.source.partition

  kms_key_arn = var.kms_key_arn != null ? var.kms_key_arn : local.created_kms_key.arn

  # The function dead-letters a message itself at this receive count, with the reason attached; the
  # queue's redrive comes one receive later, for messages whose handler crashed (modules/receive-budget).
  max_receive_count       = module.receive_budget.function_max_receive_count
  queue_max_receive_count = module.receive_budget.queue_max_receive_count

  # Snapshot ARNs by kind (the catalogue's arn_resource_type: snapshot, cluster-snapshot), in both
  # regions, because a cross-region copy is authorised against the source and the target snapshot.
  rds_regions = distinct([local.source_region, local.destination_region])
  snapshot_arns = {
    for kind, spec in local.snapshot_kinds : kind => [
      for region in local.rds_regions : "arn:${local.partition}:rds:${region}:${local.account_id}:${spec.arn_resource_type}:*"
    ]
  }
  # Every snapshot of a kind in the destination, where copies are tagged, deleted (the pruner, the copier's
  # broken copies) and adopted.
  destination_snapshot_arn = {
    for kind, spec in local.snapshot_kinds : kind => "arn:${local.partition}:rds:${local.destination_region}:${local.account_id}:${spec.arn_resource_type}:*"
  }
  destination_snapshot_arns = values(local.destination_snapshot_arn)
  option_group_arns = var.option_group_name == null ? [] : [
    "arn:${local.partition}:rds:${local.destination_region}:${local.account_id}:og:${var.option_group_name}",
  ]

  # What the copier may do with a KMS key, and only through RDS in the key's region: describe the key,
  # and create grants for AWS resources (RDS encrypts or decrypts the copy through its grant). Written
  # once, rendered in the role's policy (destination key, source keys) and in the created key's policy;
  # the keys of each side name the statements.
  kms_through_rds = {
    for side, region in { source = local.source_region, destination = local.destination_region } : side => {
      CreateGrantThroughRds = {
        actions = ["kms:CreateGrant"]
        conditions = [
          { test = "StringEquals", variable = "kms:ViaService", values = ["rds.${region}.amazonaws.com"] },
          { test = "Bool", variable = "kms:GrantIsForAWSResource", values = ["true"] },
        ]
      }
      DescribeKeyThroughRds = {
        actions = ["kms:DescribeKey"]
        conditions = [
          { test = "StringEquals", variable = "kms:ViaService", values = ["rds.${region}.amazonaws.com"] },
        ]
      }
    }
  }

  # Which sources are copied and watched (variables.tf), for the copier and the reconciler alike. Always
  # set: with the optional attributes' defaults, the default {} renders all four keys, empty.
  source_filter_json = jsonencode(var.source_filter)

  # Every function's: whose copies it may touch (the deployment tag's value, ownership.py), the module's name.
  deployment_environment = { DEPLOYMENT_NAME = var.name }
}
