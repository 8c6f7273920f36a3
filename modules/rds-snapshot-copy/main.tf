data "aws_region" "source" {
  provider = aws.source
}

data "aws_region" "destination" {
  provider = aws.destination
}

data "aws_caller_identity" "source" {
  provider = aws.source
}

data "aws_partition" "source" {
  provider = aws.source
}

locals {
  # The Python code reads the same file, so the event IDs and their detail types live in one place.
  snapshot_events = jsondecode(file("${path.module}/../../lambda/snapshot_copy/snapshot_events.json"))

  enabled_event_ids = sort(distinct(var.snapshot_event_ids))
  enabled_detail_types = sort(distinct([
    for id in local.enabled_event_ids : local.snapshot_events[id].detail_type
  ]))

  source_region      = data.aws_region.source.name
  destination_region = data.aws_region.destination.name
  account_id         = data.aws_caller_identity.source.account_id
  partition          = data.aws_partition.source.partition

  lambda_runtime = "python3.13"

  kms_key_arn = var.kms_key_arn != null ? var.kms_key_arn : aws_kms_key.this[0].arn

  # The function dead-letters a message itself at this receive count, with the reason attached. Its
  # waits are jittered down to half of wait_delay_max_seconds (lambda/snapshot_copy/queue.py), so the
  # count must cover copy_wait_max_hours at that shortest wait; the age check usually ends a wait first.
  # 20 receives on top leave room for throttles and transient errors.
  max_receive_count = min(999, ceil(var.copy_wait_max_hours * 3600 / (var.wait_delay_max_seconds / 2)) + 20)
  # One more than the function's own limit: SQS only dead-letters messages whose handler crashed.
  queue_max_receive_count = local.max_receive_count + 1

  # Both regions, because a cross-region copy is authorised against the source and the target snapshot.
  rds_regions = distinct([local.source_region, local.destination_region])
  rds_snapshot_arns = [
    for region in local.rds_regions : "arn:${local.partition}:rds:${region}:${local.account_id}:snapshot:*"
  ]
  rds_cluster_snapshot_arns = [
    for region in local.rds_regions : "arn:${local.partition}:rds:${region}:${local.account_id}:cluster-snapshot:*"
  ]
  destination_snapshot_arns = [
    "arn:${local.partition}:rds:${local.destination_region}:${local.account_id}:snapshot:*",
    "arn:${local.partition}:rds:${local.destination_region}:${local.account_id}:cluster-snapshot:*",
  ]
  option_group_arns = var.option_group_name == null ? [] : [
    "arn:${local.partition}:rds:${local.destination_region}:${local.account_id}:og:${var.option_group_name}",
  ]

  lambda_environment = merge(
    {
      SOURCE_REGION                  = local.source_region
      DESTINATION_REGION             = local.destination_region
      DESTINATION_REGION_KMS_KEY_ID  = local.kms_key_arn
      ENABLED_EVENT_IDS              = join(",", local.enabled_event_ids)
      DEAD_LETTER_QUEUE_URL          = aws_sqs_queue.dead_letter.url
      MAX_DB_COPIES_IN_PROGRESS      = tostring(var.max_db_copies_in_progress)
      MAX_CLUSTER_COPIES_IN_PROGRESS = tostring(var.max_cluster_copies_in_progress)
      MAX_RECEIVE_COUNT              = tostring(local.max_receive_count)
      MAX_WAIT_SECONDS               = tostring(var.copy_wait_max_hours * 3600)
      WAIT_DELAY_MAX_SECONDS         = tostring(var.wait_delay_max_seconds)
      MAX_ERROR_TRIES                = tostring(var.max_error_tries)
      METRIC_NAMESPACE               = var.metric_namespace
    },
    # Lambda rejects null environment values, so the variable is only present when set.
    var.option_group_name == null ? {} : { OPTION_GROUP_NAME = var.option_group_name },
  )
}
