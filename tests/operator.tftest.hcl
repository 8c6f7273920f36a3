# The operator's policy (iam_operator.tf, output operator_policy_json): what the person who runs
# `rds-snapshot-copy restore`, `drill` and `adopt` may do. tests/iam/test_operator_permissions.py proves every
# call of the commands against it, as deployed; here, its shape for inputs the demo does not deploy (an
# existing key, another metric namespace, another name). Mocked providers (tests/mocks): no credentials or
# network, and no rendered JSON (the mocked aws_iam_policy_document answers an empty one), so the statements
# are read as written.
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

run "operator_policy" {
  command = apply

  assert {
    condition = {
      for s in data.aws_iam_policy_document.operator.statement : s.sid => [
        toset(s.actions), toset(s.resources), toset([for c in s.condition : "${c.test} ${c.variable} ${join(",", c.values)}"])
      ]
      } == {
      ReadDestination = [
        toset([
          "ec2:DescribeSecurityGroups",
          "rds:DescribeDBClusterParameterGroups",
          "rds:DescribeDBClusterSnapshots",
          "rds:DescribeDBClusters",
          "rds:DescribeDBInstances",
          "rds:DescribeDBParameterGroups",
          "rds:DescribeDBSnapshots",
          "rds:DescribeDBSubnetGroups",
          "rds:DescribeOptionGroups",
          "rds:DescribeOrderableDBInstanceOptions",
        ]),
        toset(["*"]),
        toset(["StringEquals aws:RequestedRegion eu-central-1"]),
      ]
      ReadSourceDefaults = [
        toset(["ec2:DescribeSecurityGroups", "rds:DescribeDBClusters", "rds:DescribeDBInstances"]),
        toset(["*"]),
        toset(["StringEquals aws:RequestedRegion eu-west-1"]),
      ]
      RestoreCopies = [
        toset(["rds:CreateDBInstance", "rds:RestoreDBClusterFromSnapshot", "rds:RestoreDBInstanceFromDBSnapshot"]),
        toset([
          "arn:aws:rds:eu-central-1:111111111111:db:*",
          "arn:aws:rds:eu-central-1:111111111111:cluster:*",
          "arn:aws:rds:eu-central-1:111111111111:snapshot:*",
          "arn:aws:rds:eu-central-1:111111111111:cluster-snapshot:*",
          "arn:aws:rds:eu-central-1:111111111111:subgrp:*",
          "arn:aws:rds:eu-central-1:111111111111:og:*",
          "arn:aws:rds:eu-central-1:111111111111:pg:*",
          "arn:aws:rds:eu-central-1:111111111111:cluster-pg:*",
        ]),
        toset(["StringEquals aws:RequestTag/restored_by rds-snapshot-copy"]),
      ]
      TagRestoredDatabases = [
        toset(["rds:AddTagsToResource"]),
        toset(["arn:aws:rds:eu-central-1:111111111111:db:*", "arn:aws:rds:eu-central-1:111111111111:cluster:*"]),
        toset(["StringEquals aws:RequestTag/restored_by rds-snapshot-copy"]),
      ]
      DeleteDrillDatabases = [
        toset(["rds:DeleteDBCluster", "rds:DeleteDBInstance"]),
        toset(["arn:aws:rds:eu-central-1:111111111111:db:drill-*", "arn:aws:rds:eu-central-1:111111111111:cluster:drill-*"]),
        toset(["Null aws:ResourceTag/rds_snapshot_copy_drill false"]),
      ]
      DescribeCopiesKey = [
        toset(["kms:DescribeKey"]),
        toset(["arn:aws:kms:eu-central-1:111111111111:key/11111111-2222-3333-4444-555555555555"]),
        toset([]),
      ]
      CopiesKeyThroughRds = [
        toset(["kms:CreateGrant"]),
        toset(["arn:aws:kms:eu-central-1:111111111111:key/11111111-2222-3333-4444-555555555555"]),
        toset([
          "StringEquals kms:ViaService rds.eu-central-1.amazonaws.com",
          "Bool kms:GrantIsForAWSResource true",
        ]),
      ]
      PublishDrillMetrics = [
        toset(["cloudwatch:PutMetricData"]),
        toset(["*"]),
        toset(["StringEquals cloudwatch:namespace RdsSnapshotCopy"]),
      ]
      ReadDeploymentSettings = [
        toset(["lambda:GetFunctionConfiguration"]),
        toset([
          "arn:aws:lambda:eu-west-1:111111111111:function:rds-snapshot-copy",
          "arn:aws:lambda:eu-west-1:111111111111:function:rds-snapshot-copy:*",
          "arn:aws:lambda:eu-west-1:111111111111:function:rds-snapshot-copy-prune",
          "arn:aws:lambda:eu-west-1:111111111111:function:rds-snapshot-copy-prune:*",
          "arn:aws:lambda:eu-west-1:111111111111:function:rds-snapshot-copy-reconcile",
          "arn:aws:lambda:eu-west-1:111111111111:function:rds-snapshot-copy-reconcile:*",
        ]),
        toset([]),
      ]
      AdoptLegacyCopies = [
        toset(["rds:AddTagsToResource"]),
        toset(["arn:aws:rds:eu-central-1:111111111111:snapshot:*", "arn:aws:rds:eu-central-1:111111111111:cluster-snapshot:*"]),
        toset([
          "Null aws:ResourceTag/snapshot_copy_deployment true",
          "StringEquals aws:ResourceTag/source_region eu-west-1",
          "Null aws:ResourceTag/source_snapshot_arn false",
          "StringEquals aws:RequestTag/snapshot_copy_deployment rds-snapshot-copy",
          "ForAllValues:StringEquals aws:TagKeys snapshot_copy_deployment",
        ]),
      ]
    }
    error_message = "Unexpected operator policy: ${jsonencode([for s in data.aws_iam_policy_document.operator.statement : [s.sid, s.actions, s.resources, s.condition]])}"
  }

  # Never a delete of a snapshot or a copy, never key management, never a wildcard action.
  assert {
    condition = alltrue(flatten([
      for s in data.aws_iam_policy_document.operator.statement : [
        for a in s.actions : !can(regex("(?i)\\*|^rds:(Delete.*Snapshot|Copy|Modify|Remove)|^kms:(?:Put|Schedule|Disable|Delete|Decrypt|Encrypt|ReEncrypt|GenerateDataKey)|^iam:|^sqs:", a))
      ]
    ]))
    error_message = "The operator may restore and clean up a drill, never delete snapshots, manage the key or use another service."
  }

  # Everything an operator writes is in the destination region (the reads of the source, its databases'
  # settings and the deployment's functions' configuration, are the only source-region statements).
  assert {
    condition = alltrue(flatten([
      for s in data.aws_iam_policy_document.operator.statement : [
        for r in s.resources : r == "*" || can(regex("^arn:aws:(rds|kms):eu-central-1:111111111111:", r)) || (
          toset(s.actions) == toset(["lambda:GetFunctionConfiguration"]) &&
          can(regex("^arn:aws:lambda:eu-west-1:111111111111:function:rds-snapshot-copy(-prune|-reconcile)?(:\\*)?$", r))
        )
      ]
    ]))
    error_message = "The operator's resources must all be in the destination region of this account, but for reading the deployment's own functions."
  }

  # The root module and the example pass it on unchanged (they read the module's output).
  assert {
    condition     = output.operator_policy_json == data.aws_iam_policy_document.operator.json
    error_message = "operator_policy_json must be the rendered operator policy."
  }
}

run "operator_policy_with_an_existing_key_and_namespace" {
  command = apply

  variables {
    kms_key_arn      = "arn:aws:kms:eu-central-1:111111111111:key/99999999-8888-7777-6666-555555555555"
    metric_namespace = "Team/Dr"
  }

  assert {
    condition = toset(flatten([for s in data.aws_iam_policy_document.operator.statement : s.resources if anytrue([for a in s.actions : startswith(a, "kms:")])])) == toset([
      "arn:aws:kms:eu-central-1:111111111111:key/99999999-8888-7777-6666-555555555555",
    ])
    error_message = "With kms_key_arn given, the operator uses that key (the copies' key), and no other."
  }

  assert {
    condition     = flatten([for s in data.aws_iam_policy_document.operator.statement : [for c in s.condition : c.values] if s.sid == "PublishDrillMetrics"]) == ["Team/Dr"]
    error_message = "Drill metrics go to metric_namespace only."
  }
}

# A source filter changes what the functions read, not what the operator may do.
run "operator_policy_unchanged_by_a_tag_filter" {
  command = plan

  variables {
    source_filter = {
      exclude_tags = { "copy-to-dr" = ["false"] }
    }
  }

  assert {
    condition     = !contains(flatten([for s in data.aws_iam_policy_document.operator.statement : s.actions]), "rds:ListTagsForResource")
    error_message = "The operator reads no tags."
  }
}

# Adoption writes this deployment's name, whatever it is, and reads its functions by their names.
run "operator_policy_follows_the_name" {
  command = apply

  variables {
    name = "copies"
  }

  assert {
    condition = flatten([
      for s in data.aws_iam_policy_document.operator.statement : [
        for c in s.condition : c.values if c.variable == "aws:RequestTag/snapshot_copy_deployment"
      ] if s.sid == "AdoptLegacyCopies"
    ]) == ["copies"]
    error_message = "adopt must tag copies with this deployment's name."
  }
}
