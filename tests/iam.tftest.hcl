# Mocked providers (tests/mocks): no credentials or network; fixed ARNs where the tests need them.
mock_provider "aws" {
  alias  = "source"
  source = "./tests/mocks/source"
}

mock_provider "aws" {
  alias  = "destination"
  source = "./tests/mocks/destination"
}

mock_provider "archive" {
  source = "./tests/mocks/archive"
}

variables {
  # terraform test destroys what it applied; the protected key would refuse.
  kms_key_prevent_destroy = false
}

run "copier_policy" {
  command = apply

  assert {
    condition     = module.copier.role_name == "rds-snapshot-copy-copier" && output.copier_role_arn == module.copier.role_arn
    error_message = "The function must run as the <name>-copier role (its policy is attached by modules/function)."
  }

  # Resource "*" only for the read-only Describe actions, and only in the two regions.
  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.copier.statement : length(s.resources) > 0 && (
        !contains(s.resources, "*") || (
          toset(s.actions) == toset(["rds:DescribeDBSnapshots", "rds:DescribeDBClusterSnapshots"]) &&
          toset([for c in s.condition : [c.test, c.variable, join(",", sort(c.values))]]) == toset([["StringEquals", "aws:RequestedRegion", "eu-central-1,eu-west-1"]])
        )
      )
    ])
    error_message = "Only the read-only Describe actions may use Resource \"*\", limited to the two regions."
  }

  assert {
    condition = alltrue(flatten([
      for s in data.aws_iam_policy_document.copier.statement : [
        for r in s.resources : can(regex("^arn:aws:rds:(eu-west-1|eu-central-1):111111111111:(snapshot|cluster-snapshot):\\*$", r))
      ] if anytrue([for a in s.actions : startswith(a, "rds:")]) && s.sid != "DescribeSnapshots"
    ]))
    error_message = "RDS permissions other than Describe must be scoped to this account's snapshot ARNs in the two regions."
  }

  assert {
    condition = toset([for s in data.aws_iam_policy_document.copier.statement : s.sid]) == toset([
      "CopyDbSnapshots", "CopyDbClusterSnapshots", "TagDestinationSnapshots", "DeleteBrokenDbCopies", "DeleteBrokenClusterCopies",
      "DescribeSnapshots", "ReadSnapshotTags", "ConsumeEvents", "RecordCopyRequests", "DestinationKeyCreateGrantThroughRds",
      "DestinationKeyDescribeKeyThroughRds",
    ])
    error_message = "Unexpected set of statements (the source-key statements only appear with source_kms_key_arns; WriteLogs and DeadLetter are modules/function's)."
  }

  assert {
    condition = [for s in data.aws_iam_policy_document.copier.statement : [toset(s.actions), toset(s.resources)] if s.sid == "CopyDbSnapshots"][0] == [
      toset(["rds:CopyDBSnapshot"]),
      toset(["arn:aws:rds:eu-west-1:111111111111:snapshot:*", "arn:aws:rds:eu-central-1:111111111111:snapshot:*"]),
    ]
    error_message = "CopyDBSnapshot must be allowed on DB snapshots of both regions only."
  }

  assert {
    condition = [for s in data.aws_iam_policy_document.copier.statement : [toset(s.actions), toset(s.resources)] if s.sid == "CopyDbClusterSnapshots"][0] == [
      toset(["rds:CopyDBClusterSnapshot"]),
      toset(["arn:aws:rds:eu-west-1:111111111111:cluster-snapshot:*", "arn:aws:rds:eu-central-1:111111111111:cluster-snapshot:*"]),
    ]
    error_message = "CopyDBClusterSnapshot must be allowed on cluster snapshots of both regions only."
  }

  assert {
    condition = [for s in data.aws_iam_policy_document.copier.statement : [toset(s.actions), toset(s.resources)] if s.sid == "TagDestinationSnapshots"][0] == [
      toset(["rds:AddTagsToResource"]),
      toset(["arn:aws:rds:eu-central-1:111111111111:snapshot:*", "arn:aws:rds:eu-central-1:111111111111:cluster-snapshot:*"]),
    ]
    error_message = "Tagging must be limited to snapshots in the destination region."
  }

  assert {
    condition = [for s in data.aws_iam_policy_document.copier.statement : toset([for c in s.condition : [c.test, c.variable, join(",", c.values)]]) if s.sid == "TagDestinationSnapshots"][0] == toset([
      ["StringEquals", "aws:RequestTag/snapshot_copy_deployment", "rds-snapshot-copy"],
      ["StringEquals", "aws:RequestTag/source_region", "eu-west-1"],
    ])
    error_message = "Tagging must set this deployment's identity and source_region tags (only copies this deployment makes)."
  }

  # The copier deletes a broken copy of its own before copying again: only snapshots tagged as this
  # deployment's copies, in the destination, exactly as the pruner may (main.tf's own_copy_conditions).
  assert {
    condition = {
      for s in data.aws_iam_policy_document.copier.statement : s.sid => [
        toset(s.actions), toset(s.resources), toset([for c in s.condition : [c.test, c.variable, join(",", c.values)]])
      ] if startswith(s.sid, "DeleteBroken")
      } == {
      DeleteBrokenDbCopies = [
        toset(["rds:DeleteDBSnapshot"]),
        toset(["arn:aws:rds:eu-central-1:111111111111:snapshot:*"]),
        toset([
          ["StringEquals", "aws:ResourceTag/snapshot_copy_deployment", "rds-snapshot-copy"],
          ["StringEquals", "aws:ResourceTag/source_region", "eu-west-1"],
          ["Null", "aws:ResourceTag/source_snapshot_arn", "false"],
        ]),
      ]
      DeleteBrokenClusterCopies = [
        toset(["rds:DeleteDBClusterSnapshot"]),
        toset(["arn:aws:rds:eu-central-1:111111111111:cluster-snapshot:*"]),
        toset([
          ["StringEquals", "aws:ResourceTag/snapshot_copy_deployment", "rds-snapshot-copy"],
          ["StringEquals", "aws:ResourceTag/source_region", "eu-west-1"],
          ["Null", "aws:ResourceTag/source_snapshot_arn", "false"],
        ]),
      ]
    }
    error_message = "The copier may delete only this deployment's copies (identity, source region and source ARN tags), in the destination."
  }

  assert {
    condition = [for s in data.aws_iam_policy_document.copier.statement : [toset(s.actions), toset(s.resources)] if s.sid == "ReadSnapshotTags"][0] == [
      toset(["rds:ListTagsForResource"]),
      toset([
        "arn:aws:rds:eu-west-1:111111111111:snapshot:*", "arn:aws:rds:eu-central-1:111111111111:snapshot:*",
        "arn:aws:rds:eu-west-1:111111111111:cluster-snapshot:*", "arn:aws:rds:eu-central-1:111111111111:cluster-snapshot:*",
      ]),
    ]
    error_message = "Listing tags must be limited to snapshots of both regions."
  }

  assert {
    condition = [for s in data.aws_iam_policy_document.copier.statement : [toset(s.actions), toset(s.resources)] if s.sid == "ConsumeEvents"][0] == [
      toset(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ChangeMessageVisibility"]),
      toset(["arn:aws:sqs:eu-west-1:111111111111:rds-snapshot-copy-events"]),
    ]
    error_message = "Consuming must be limited to the events queue."
  }

  # The copier writes what it postponed or dead-lettered into the copy requests table; it never reads it.
  assert {
    condition = [for s in data.aws_iam_policy_document.copier.statement : [toset(s.actions), toset(s.resources)] if s.sid == "RecordCopyRequests"][0] == [
      toset(["dynamodb:BatchWriteItem"]),
      toset(["arn:aws:dynamodb:eu-west-1:111111111111:table/rds-snapshot-copy-copy-requests"]),
    ] && aws_dynamodb_table.copy_requests.arn == "arn:aws:dynamodb:eu-west-1:111111111111:table/rds-snapshot-copy-copy-requests"
    error_message = "The copier may only write items, in batches, to the copy requests table."
  }

  # modules/function grants sqs:SendMessage on its dead-letter target (DeadLetter) and writing its log group (WriteLogs).
  assert {
    condition     = module.copier.function_dead_letter_target_arn == "arn:aws:sqs:eu-west-1:111111111111:rds-snapshot-copy-dlq"
    error_message = "The function's dead-letter target, and so the only queue it may send to, must be the dead-letter queue."
  }

  assert {
    condition     = module.copier.log_group_name == "/aws/lambda/rds-snapshot-copy"
    error_message = "The function must log to its own log group, /aws/lambda/<name>, the only one it may write."
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.copier.statement :
      toset(s.resources) == toset(["arn:aws:kms:eu-central-1:111111111111:key/11111111-2222-3333-4444-555555555555"]) &&
      contains([for c in s.condition : [c.test, c.variable, join(",", c.values)]], ["StringEquals", "kms:ViaService", "rds.eu-central-1.amazonaws.com"])
      if anytrue([for a in s.actions : startswith(a, "kms:")])
    ])
    error_message = "KMS permissions must be on the destination key only, through RDS in the destination region."
  }

  assert {
    condition = [for s in data.aws_iam_policy_document.copier.statement : toset([for c in s.condition : [c.test, c.variable, join(",", c.values)]]) if s.sid == "DestinationKeyCreateGrantThroughRds"][0] == toset([
      ["StringEquals", "kms:ViaService", "rds.eu-central-1.amazonaws.com"],
      ["Bool", "kms:GrantIsForAWSResource", "true"],
    ])
    error_message = "Grants on the destination key must be for AWS resources, through RDS in the destination region."
  }

  assert {
    condition     = toset(flatten([for s in data.aws_iam_policy_document.copier.statement : s.actions if anytrue([for a in s.actions : startswith(a, "kms:")])])) == toset(["kms:CreateGrant", "kms:DescribeKey"])
    error_message = "The function may only create grants and describe keys."
  }
}

run "source_keys_and_option_group" {
  command = apply

  variables {
    source_kms_key_arns = ["arn:aws:kms:eu-west-1:111111111111:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"]
    option_group_name   = "tde-copies"
  }

  # The same conditions as for the destination key, with the source region.
  assert {
    condition = {
      for s in data.aws_iam_policy_document.copier.statement : s.sid => [
        toset(s.actions), toset(s.resources), toset([for c in s.condition : [c.test, c.variable, join(",", c.values)]])
      ] if startswith(s.sid, "SourceKeys")
      } == {
      SourceKeysCreateGrantThroughRds = [
        toset(["kms:CreateGrant"]),
        toset(["arn:aws:kms:eu-west-1:111111111111:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"]),
        toset([["StringEquals", "kms:ViaService", "rds.eu-west-1.amazonaws.com"], ["Bool", "kms:GrantIsForAWSResource", "true"]]),
      ]
      SourceKeysDescribeKeyThroughRds = [
        toset(["kms:DescribeKey"]),
        toset(["arn:aws:kms:eu-west-1:111111111111:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"]),
        toset([["StringEquals", "kms:ViaService", "rds.eu-west-1.amazonaws.com"]]),
      ]
    }
    error_message = "Source keys must be usable only through RDS in the source region, grants only for AWS resources."
  }

  assert {
    condition     = contains([for s in data.aws_iam_policy_document.copier.statement : s.resources if s.sid == "CopyDbSnapshots"][0], "arn:aws:rds:eu-central-1:111111111111:og:tde-copies")
    error_message = "Copying with an option group needs the option group as a resource."
  }
}

# The identity the copier writes and the deletes it may make follow the deployment's name.
run "copier_policy_follows_the_name" {
  command = apply

  variables {
    name = "copies"
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.copier.statement : contains([for c in s.condition : c.values[0] if endswith(c.variable, "/snapshot_copy_deployment")], "copies")
      if contains(["TagDestinationSnapshots", "DeleteBrokenDbCopies", "DeleteBrokenClusterCopies"], s.sid)
    ])
    error_message = "The copier's identity conditions must name this deployment (var.name)."
  }

  assert {
    condition     = module.copier.function_environment["DEPLOYMENT_NAME"] == "copies"
    error_message = "The copier must know its deployment's name (DEPLOYMENT_NAME = name), which it writes on every copy."
  }
}
