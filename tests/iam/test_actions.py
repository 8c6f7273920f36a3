"""Unit tests of actions.py: each mapped operation gives the authorizations the SAR says, and every one of
them is a request the simulator accepts (known action, resource of the right type, supported context keys).
"""

from __future__ import annotations

from typing import Any

import pytest

from .actions import MAPPED_OPERATIONS, Authorization, UnmappedOperation, UnresolvableCall, authorizations
from .simulator import Request, simulate

ACCOUNT = "111122223333"
SOURCE = "eu-west-1"
DESTINATION = "eu-central-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/snapcopy-copier"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY = f"arn:aws:kms:{DESTINATION}:{ACCOUNT}:key/{KEY_ID}"
SOURCE_KEY = f"arn:aws:kms:{SOURCE}:{ACCOUNT}:key/99999999-12ab-34cd-56ef-1234567890ab"
SRC_SNAPSHOT = f"arn:aws:rds:{SOURCE}:{ACCOUNT}:snapshot:rds:db1-2024-01-01-00-00"
SRC_CLUSTER_SNAPSHOT = f"arn:aws:rds:{SOURCE}:{ACCOUNT}:cluster-snapshot:rds:aurora1-2024-01-01-00-00"
QUEUE_URL = f"https://sqs.{SOURCE}.amazonaws.com/{ACCOUNT}/snapcopy-events"
QUEUE = f"arn:aws:sqs:{SOURCE}:{ACCOUNT}:snapcopy-events"
TAGS = [{"Key": "Team", "Value": "data"}, {"Key": "copied-from", "Value": SRC_SNAPSHOT}]
VIA_DESTINATION = {"kms:ViaService": f"rds.{DESTINATION}.amazonaws.com", "kms:CallerAccount": ACCOUNT}


def call(service: str, operation: str, region: str = SOURCE, **params: Any) -> dict[str, Any]:
    return {"service": service, "operation": operation, "region": region, "params": params}


def rds(region: str, kind: str, name: str) -> str:
    return f"arn:aws:rds:{region}:{ACCOUNT}:{kind}:{name}"


def request_tags(tags: list[dict[str, str]]) -> dict[str, Any]:
    context: dict[str, Any] = {"aws:TagKeys": sorted(t["Key"] for t in tags)}
    for t in tags:
        context[f"aws:RequestTag/{t['Key']}"] = t["Value"]
        context[f"rds:req-tag/{t['Key']}"] = t["Value"]
    return context


# (recorded call, expected authorizations): one or more per mapped operation.
CASES: list[tuple[str, dict[str, Any], list[Authorization]]] = [
    (
        "describe-db-snapshots-by-id",
        call("rds", "DescribeDBSnapshots", DBSnapshotIdentifier="rds:db1-2024-01-01-00-00"),
        [Authorization("rds:DescribeDBSnapshots", SRC_SNAPSHOT)],
    ),
    (
        "describe-db-snapshots-by-arn",
        call("rds", "DescribeDBSnapshots", DESTINATION, DBSnapshotIdentifier=SRC_SNAPSHOT),
        [Authorization("rds:DescribeDBSnapshots", SRC_SNAPSHOT)],
    ),
    (
        "describe-db-snapshots-filters",
        call("rds", "DescribeDBSnapshots", DESTINATION, Filters=[{"Name": "db-snapshot-id", "Values": ["a", "b"]}]),
        [Authorization("rds:DescribeDBSnapshots", "*")],
    ),
    (
        "describe-db-snapshots-all-manual",
        call("rds", "DescribeDBSnapshots", DESTINATION, SnapshotType="manual"),
        [Authorization("rds:DescribeDBSnapshots", "*")],
    ),
    (
        "describe-db-snapshots-of-instance",
        call("rds", "DescribeDBSnapshots", DBInstanceIdentifier="db1"),
        [Authorization("rds:DescribeDBSnapshots", rds(SOURCE, "db", "db1"))],
    ),
    (
        "describe-cluster-snapshots-by-id",
        call("rds", "DescribeDBClusterSnapshots", DBClusterSnapshotIdentifier="rds:aurora1-2024-01-01-00-00"),
        [Authorization("rds:DescribeDBClusterSnapshots", SRC_CLUSTER_SNAPSHOT)],
    ),
    (
        "describe-cluster-snapshots-filters",
        call("rds", "DescribeDBClusterSnapshots", Filters=[{"Name": "db-cluster-snapshot-id", "Values": ["a"]}]),
        [Authorization("rds:DescribeDBClusterSnapshots", "*")],
    ),
    (
        "describe-cluster-snapshots-of-cluster",
        call("rds", "DescribeDBClusterSnapshots", DBClusterIdentifier="aurora1"),
        [Authorization("rds:DescribeDBClusterSnapshots", rds(SOURCE, "cluster", "aurora1"))],
    ),
    (
        "describe-db-instances-by-id",
        call("rds", "DescribeDBInstances", DBInstanceIdentifier="db1"),
        [Authorization("rds:DescribeDBInstances", rds(SOURCE, "db", "db1"))],
    ),
    ("describe-db-instances-all", call("rds", "DescribeDBInstances"), [Authorization("rds:DescribeDBInstances", "*")]),
    (
        "describe-db-clusters-by-id",
        call("rds", "DescribeDBClusters", DBClusterIdentifier="aurora1"),
        [Authorization("rds:DescribeDBClusters", rds(SOURCE, "cluster", "aurora1"))],
    ),
    ("describe-db-clusters-all", call("rds", "DescribeDBClusters"), [Authorization("rds:DescribeDBClusters", "*")]),
    (
        "list-tags",
        call("rds", "ListTagsForResource", ResourceName=SRC_SNAPSHOT),
        [Authorization("rds:ListTagsForResource", SRC_SNAPSHOT)],
    ),
    (
        "add-tags",
        call("rds", "AddTagsToResource", DESTINATION, ResourceName=rds(DESTINATION, "snapshot", "copy1"), Tags=TAGS),
        [Authorization("rds:AddTagsToResource", rds(DESTINATION, "snapshot", "copy1"), request_tags(TAGS))],
    ),
    (
        "copy-db-snapshot-plain",
        call(
            "rds",
            "CopyDBSnapshot",
            DESTINATION,
            SourceDBSnapshotIdentifier=SRC_SNAPSHOT,
            TargetDBSnapshotIdentifier="copy1",
            SourceRegion=SOURCE,
        ),
        [
            Authorization("rds:CopyDBSnapshot", SRC_SNAPSHOT),
            Authorization("rds:CopyDBSnapshot", rds(DESTINATION, "snapshot", "copy1")),
        ],
    ),
    (
        "copy-db-snapshot-full",
        call(
            "rds",
            "CopyDBSnapshot",
            DESTINATION,
            SourceDBSnapshotIdentifier=SRC_SNAPSHOT,
            TargetDBSnapshotIdentifier="copy1",
            KmsKeyId=KEY,
            Tags=TAGS,
            OptionGroupName="oracle-tde",
            SourceRegion=SOURCE,
        ),
        [
            Authorization("rds:CopyDBSnapshot", SRC_SNAPSHOT, request_tags(TAGS)),
            Authorization("rds:CopyDBSnapshot", rds(DESTINATION, "snapshot", "copy1"), request_tags(TAGS)),
            Authorization("rds:AddTagsToResource", rds(DESTINATION, "snapshot", "copy1"), request_tags(TAGS)),
            Authorization("kms:CreateGrant", KEY, {**VIA_DESTINATION, "kms:GrantIsForAWSResource": "true"}),
            Authorization("kms:DescribeKey", KEY, VIA_DESTINATION),
        ],
    ),
    (
        "copy-cluster-snapshot-key-id-and-source-key",
        {
            **call(
                "rds",
                "CopyDBClusterSnapshot",
                DESTINATION,
                SourceDBClusterSnapshotIdentifier=SRC_CLUSTER_SNAPSHOT,
                TargetDBClusterSnapshotIdentifier="copy2",
                KmsKeyId=KEY_ID,
            ),
            "source_kms_key_arn": SOURCE_KEY,
            "resource_tags": {"Team": "data"},
        },
        [
            Authorization(
                "rds:CopyDBClusterSnapshot",
                SRC_CLUSTER_SNAPSHOT,
                {"aws:ResourceTag/Team": "data", "rds:cluster-snapshot-tag/Team": "data"},
            ),
            Authorization("rds:CopyDBClusterSnapshot", rds(DESTINATION, "cluster-snapshot", "copy2")),
            Authorization("kms:CreateGrant", KEY, {**VIA_DESTINATION, "kms:GrantIsForAWSResource": "true"}),
            Authorization("kms:DescribeKey", KEY, VIA_DESTINATION),
            Authorization(
                "kms:CreateGrant",
                SOURCE_KEY,
                {
                    "kms:ViaService": f"rds.{SOURCE}.amazonaws.com",
                    "kms:CallerAccount": ACCOUNT,
                    "kms:GrantIsForAWSResource": "true",
                },
            ),
            Authorization(
                "kms:DescribeKey",
                SOURCE_KEY,
                {"kms:ViaService": f"rds.{SOURCE}.amazonaws.com", "kms:CallerAccount": ACCOUNT},
            ),
        ],
    ),
    (
        "copy-db-snapshot-same-region-copy-tags",
        {
            **call(
                "rds",
                "CopyDBSnapshot",
                SOURCE,
                SourceDBSnapshotIdentifier="manual1",
                TargetDBSnapshotIdentifier="copy3",
                CopyTags=True,
                CopyOptionGroup=False,
            ),
            "resource_tags": [{"Key": "Team", "Value": "data"}],
        },
        [
            Authorization(
                "rds:CopyDBSnapshot",
                rds(SOURCE, "snapshot", "manual1"),
                {"rds:CopyOptionGroup": "false", "aws:ResourceTag/Team": "data", "rds:snapshot-tag/Team": "data"},
            ),
            Authorization("rds:CopyDBSnapshot", rds(SOURCE, "snapshot", "copy3"), {"rds:CopyOptionGroup": "false"}),
            Authorization(
                "rds:AddTagsToResource",
                rds(SOURCE, "snapshot", "copy3"),
                request_tags([{"Key": "Team", "Value": "data"}]),
            ),
        ],
    ),
    (
        "delete-db-snapshot-with-tags",
        {**call("rds", "DeleteDBSnapshot", DESTINATION, DBSnapshotIdentifier="copy1"), "resource_tags": TAGS},
        [
            Authorization(
                "rds:DeleteDBSnapshot",
                rds(DESTINATION, "snapshot", "copy1"),
                {
                    "aws:ResourceTag/Team": "data",
                    "rds:snapshot-tag/Team": "data",
                    "aws:ResourceTag/copied-from": SRC_SNAPSHOT,
                    "rds:snapshot-tag/copied-from": SRC_SNAPSHOT,
                },
            )
        ],
    ),
    (
        "delete-cluster-snapshot",
        call("rds", "DeleteDBClusterSnapshot", DESTINATION, DBClusterSnapshotIdentifier="copy2"),
        [Authorization("rds:DeleteDBClusterSnapshot", rds(DESTINATION, "cluster-snapshot", "copy2"))],
    ),
    (
        "delete-db-instance",
        call(
            "rds",
            "DeleteDBInstance",
            DBInstanceIdentifier="db1",
            SkipFinalSnapshot=False,
            FinalDBSnapshotIdentifier="final",
        ),
        [Authorization("rds:DeleteDBInstance", rds(SOURCE, "db", "db1"))],
    ),
    (
        "delete-db-cluster-final-snapshot",
        call("rds", "DeleteDBCluster", DBClusterIdentifier="aurora1", FinalDBSnapshotIdentifier="final"),
        [
            Authorization("rds:DeleteDBCluster", rds(SOURCE, "cluster", "aurora1")),
            Authorization("rds:DeleteDBCluster", rds(SOURCE, "cluster-snapshot", "final")),
        ],
    ),
    (
        "delete-db-cluster-skip-final",
        call("rds", "DeleteDBCluster", DBClusterIdentifier="aurora1", SkipFinalSnapshot=True),
        [Authorization("rds:DeleteDBCluster", rds(SOURCE, "cluster", "aurora1"))],
    ),
    (
        "create-db-instance",
        call(
            "rds",
            "CreateDBInstance",
            DBInstanceIdentifier="db2",
            Engine="postgres",
            DBInstanceClass="db.t3.micro",
            AllocatedStorage=20,
            StorageEncrypted=True,
            KmsKeyId=SOURCE_KEY,
            DBSubnetGroupName="private",
            Tags=TAGS[:1],
        ),
        [
            Authorization(
                "rds:CreateDBInstance",
                rds(SOURCE, "db", "db2"),
                {
                    **request_tags(TAGS[:1]),
                    "rds:DatabaseEngine": "postgres",
                    "rds:DatabaseClass": "db.t3.micro",
                    "rds:StorageSize": "20",
                    "rds:StorageEncrypted": "true",
                },
            ),
            Authorization("rds:CreateDBInstance", rds(SOURCE, "subgrp", "private"), request_tags(TAGS[:1])),
            Authorization("rds:AddTagsToResource", rds(SOURCE, "db", "db2"), request_tags(TAGS[:1])),
            Authorization(
                "kms:CreateGrant",
                SOURCE_KEY,
                {
                    "kms:ViaService": f"rds.{SOURCE}.amazonaws.com",
                    "kms:CallerAccount": ACCOUNT,
                    "kms:GrantIsForAWSResource": "true",
                },
            ),
            Authorization(
                "kms:DescribeKey",
                SOURCE_KEY,
                {"kms:ViaService": f"rds.{SOURCE}.amazonaws.com", "kms:CallerAccount": ACCOUNT},
            ),
        ],
    ),
    (
        "restore-db-instance",
        call(
            "rds",
            "RestoreDBInstanceFromDBSnapshot",
            DESTINATION,
            DBInstanceIdentifier="restored",
            DBSnapshotIdentifier="copy1",
            OptionGroupName="oracle-tde",
            DBParameterGroupName="custom",
            DBSubnetGroupName="private",
        ),
        [
            Authorization("rds:RestoreDBInstanceFromDBSnapshot", rds(DESTINATION, "db", "restored")),
            Authorization("rds:RestoreDBInstanceFromDBSnapshot", rds(DESTINATION, "snapshot", "copy1")),
            Authorization("rds:RestoreDBInstanceFromDBSnapshot", rds(DESTINATION, "og", "oracle-tde")),
            Authorization("rds:RestoreDBInstanceFromDBSnapshot", rds(DESTINATION, "pg", "custom")),
            Authorization("rds:RestoreDBInstanceFromDBSnapshot", rds(DESTINATION, "subgrp", "private")),
        ],
    ),
    (
        "restore-db-cluster",
        call(
            "rds",
            "RestoreDBClusterFromSnapshot",
            DESTINATION,
            DBClusterIdentifier="restored",
            SnapshotIdentifier="copy2",
            Engine="aurora-postgresql",
            DBClusterParameterGroupName="custom",
            Tags=TAGS[:1],
        ),
        [
            Authorization(
                "rds:RestoreDBClusterFromSnapshot", rds(DESTINATION, "cluster", "restored"), request_tags(TAGS[:1])
            ),
            Authorization(
                "rds:RestoreDBClusterFromSnapshot",
                rds(DESTINATION, "cluster-snapshot", "copy2"),
                request_tags(TAGS[:1]),
            ),
            Authorization(
                "rds:RestoreDBClusterFromSnapshot", rds(DESTINATION, "cluster-pg", "custom"), request_tags(TAGS[:1])
            ),
            Authorization("rds:AddTagsToResource", rds(DESTINATION, "cluster", "restored"), request_tags(TAGS[:1])),
        ],
    ),
    (
        "sqs-get-queue-url",
        call("sqs", "GetQueueUrl", QueueName="snapcopy-events", QueueOwnerAWSAccountId=ACCOUNT),
        [Authorization("sqs:GetQueueUrl", QUEUE)],
    ),
    (
        "sqs-get-queue-url-own-account",
        call("sqs", "GetQueueUrl", QueueName="snapcopy-events"),
        [Authorization("sqs:GetQueueUrl", QUEUE)],
    ),
    ("sqs-receive", call("sqs", "ReceiveMessage", QueueUrl=QUEUE_URL), [Authorization("sqs:ReceiveMessage", QUEUE)]),
    (
        "sqs-receive-emulator-url",
        call("sqs", "ReceiveMessage", QueueUrl=f"http://127.0.0.1:5000/{ACCOUNT}/snapcopy-events"),
        [Authorization("sqs:ReceiveMessage", QUEUE)],
    ),
    (
        "sqs-legacy-url",
        call(
            "sqs",
            "GetQueueAttributes",
            DESTINATION,
            QueueUrl=f"https://{SOURCE}.queue.amazonaws.com/{ACCOUNT}/snapcopy-events",
        ),
        [Authorization("sqs:GetQueueAttributes", QUEUE)],
    ),
    (
        "sqs-delete",
        call("sqs", "DeleteMessage", QueueUrl=QUEUE_URL, ReceiptHandle="h"),
        [Authorization("sqs:DeleteMessage", QUEUE)],
    ),
    (
        "sqs-delete-batch",
        call("sqs", "DeleteMessageBatch", QueueUrl=QUEUE_URL, Entries=[]),
        [Authorization("sqs:DeleteMessage", QUEUE)],
    ),
    (
        "sqs-visibility",
        call("sqs", "ChangeMessageVisibility", QueueUrl=QUEUE_URL, ReceiptHandle="h", VisibilityTimeout=60),
        [Authorization("sqs:ChangeMessageVisibility", QUEUE)],
    ),
    (
        "sqs-visibility-batch",
        call("sqs", "ChangeMessageVisibilityBatch", QueueUrl=QUEUE_URL, Entries=[]),
        [Authorization("sqs:ChangeMessageVisibility", QUEUE)],
    ),
    (
        "sqs-send",
        call("sqs", "SendMessage", QueueUrl=QUEUE_URL, MessageBody="{}"),
        [Authorization("sqs:SendMessage", QUEUE)],
    ),
    (
        "sqs-send-batch",
        call("sqs", "SendMessageBatch", QueueUrl=QUEUE_URL, Entries=[]),
        [Authorization("sqs:SendMessage", QUEUE)],
    ),
    (
        "sqs-attributes",
        call("sqs", "GetQueueAttributes", QueueUrl=QUEUE_URL, AttributeNames=["All"]),
        [Authorization("sqs:GetQueueAttributes", QUEUE)],
    ),
    (
        "kms-describe-key-id",
        call("kms", "DescribeKey", DESTINATION, KeyId=KEY_ID),
        [Authorization("kms:DescribeKey", KEY, {"kms:CallerAccount": ACCOUNT})],
    ),
    (
        "kms-get-key-policy",
        call("kms", "GetKeyPolicy", DESTINATION, KeyId=KEY, PolicyName="default"),
        [Authorization("kms:GetKeyPolicy", KEY, {"kms:CallerAccount": ACCOUNT})],
    ),
    (
        "quota",
        call("service-quotas", "GetServiceQuota", DESTINATION, ServiceCode="rds", QuotaCode="L-ABCD1234"),
        [
            Authorization(
                "servicequotas:GetServiceQuota",
                f"arn:aws:servicequotas:{DESTINATION}:{ACCOUNT}:rds/L-ABCD1234",
                {"servicequotas:service": "rds"},
            )
        ],
    ),
    (
        "default-quota",
        call("service-quotas", "GetAWSDefaultServiceQuota", DESTINATION, ServiceCode="rds", QuotaCode="L-ABCD1234"),
        [Authorization("servicequotas:GetAWSDefaultServiceQuota", "*")],
    ),
    (
        "list-service-quotas",
        call("service-quotas", "ListServiceQuotas", DESTINATION, ServiceCode="rds", MaxResults=100),
        [Authorization("servicequotas:ListServiceQuotas", "*")],
    ),
    (
        "list-aws-default-service-quotas",
        call("service-quotas", "ListAWSDefaultServiceQuotas", DESTINATION, ServiceCode="rds", MaxResults=100),
        [Authorization("servicequotas:ListAWSDefaultServiceQuotas", "*")],
    ),
    (
        "put-metric-data",
        call("cloudwatch", "PutMetricData", Namespace="RdsSnapshotCopy", MetricData=[]),
        [Authorization("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": "RdsSnapshotCopy"})],
    ),
    (
        "get-metric-data",
        call(
            "cloudwatch",
            "GetMetricData",
            DESTINATION,
            MetricDataQueries=[
                {
                    "Id": "last_drill",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "RdsSnapshotCopy",
                            "MetricName": "LastDrillTimestamp",
                            "Dimensions": [{"Name": "SourceRegion", "Value": SOURCE}],
                        },
                        "Period": 86400,
                        "Stat": "Maximum",
                    },
                }
            ],
            StartTime="2025-08-23T00:00:00Z",
            EndTime="2026-11-21T00:00:00Z",
        ),
        [Authorization("cloudwatch:GetMetricData", "*")],
    ),
    ("get-caller-identity", call("sts", "GetCallerIdentity"), []),
    # -- the copy requests table (copier, reconciler): one authorization per table named, by name or ARN
    (
        "batch-get-item",
        call("dynamodb", "BatchGetItem", RequestItems={"snapcopy-copy-requests": {"Keys": [{"a": {"S": "x"}}]}}),
        [Authorization("dynamodb:BatchGetItem", f"arn:aws:dynamodb:{SOURCE}:{ACCOUNT}:table/snapcopy-copy-requests")],
    ),
    (
        "batch-write-item-two-tables",
        call(
            "dynamodb",
            "BatchWriteItem",
            RequestItems={
                "snapcopy-copy-requests": [{"PutRequest": {"Item": {}}}],
                f"arn:aws:dynamodb:{SOURCE}:{ACCOUNT}:table/other": [{"DeleteRequest": {"Key": {}}}],
            },
        ),
        [
            Authorization(
                "dynamodb:BatchWriteItem", f"arn:aws:dynamodb:{SOURCE}:{ACCOUNT}:table/snapcopy-copy-requests"
            ),
            Authorization("dynamodb:BatchWriteItem", f"arn:aws:dynamodb:{SOURCE}:{ACCOUNT}:table/other"),
        ],
    ),
    # -- restore and drill (the operator)
    (
        "describe-db-subnet-groups-by-name",
        call("rds", "DescribeDBSubnetGroups", DESTINATION, DBSubnetGroupName="prod-db"),
        [Authorization("rds:DescribeDBSubnetGroups", rds(DESTINATION, "subgrp", "prod-db"))],
    ),
    (
        "describe-db-subnet-groups-all",
        call("rds", "DescribeDBSubnetGroups", DESTINATION),
        [Authorization("rds:DescribeDBSubnetGroups", "*")],
    ),
    (
        "describe-option-groups-by-name",
        call("rds", "DescribeOptionGroups", DESTINATION, OptionGroupName="og1"),
        [Authorization("rds:DescribeOptionGroups", rds(DESTINATION, "og", "og1"))],
    ),
    (
        "describe-db-parameter-groups-by-name",
        call("rds", "DescribeDBParameterGroups", DESTINATION, DBParameterGroupName="pg1"),
        [Authorization("rds:DescribeDBParameterGroups", rds(DESTINATION, "pg", "pg1"))],
    ),
    (
        "describe-db-cluster-parameter-groups-by-name",
        call("rds", "DescribeDBClusterParameterGroups", DESTINATION, DBClusterParameterGroupName="cpg1"),
        [Authorization("rds:DescribeDBClusterParameterGroups", rds(DESTINATION, "cluster-pg", "cpg1"))],
    ),
    (
        "describe-orderable-db-instance-options",
        call(
            "rds", "DescribeOrderableDBInstanceOptions", DESTINATION, Engine="postgres", DBInstanceClass="db.t3.small"
        ),
        [Authorization("rds:DescribeOrderableDBInstanceOptions", "*")],
    ),
    (
        "describe-security-groups",
        call("ec2", "DescribeSecurityGroups", DESTINATION, GroupIds=["sg-1"]),
        [Authorization("ec2:DescribeSecurityGroups", "*", {"ec2:Region": DESTINATION})],
    ),
    (
        "restore-db-instance-with-the-snapshots-key",
        {
            **call(
                "rds",
                "RestoreDBInstanceFromDBSnapshot",
                DESTINATION,
                DBInstanceIdentifier="drill-db1",
                DBSnapshotIdentifier="db1-copy",
                DBSubnetGroupName="prod-db",
                Tags=[{"Key": "restored_by", "Value": "rds-snapshot-copy"}],
            ),
            "snapshot_kms_key_arn": KEY,
        },
        [
            Authorization(
                "rds:RestoreDBInstanceFromDBSnapshot",
                rds(DESTINATION, "db", "drill-db1"),
                request_tags([{"Key": "restored_by", "Value": "rds-snapshot-copy"}]),
            ),
            Authorization(
                "rds:RestoreDBInstanceFromDBSnapshot",
                rds(DESTINATION, "snapshot", "db1-copy"),
                request_tags([{"Key": "restored_by", "Value": "rds-snapshot-copy"}]),
            ),
            Authorization(
                "rds:RestoreDBInstanceFromDBSnapshot",
                rds(DESTINATION, "subgrp", "prod-db"),
                request_tags([{"Key": "restored_by", "Value": "rds-snapshot-copy"}]),
            ),
            Authorization(
                "rds:AddTagsToResource",
                rds(DESTINATION, "db", "drill-db1"),
                request_tags([{"Key": "restored_by", "Value": "rds-snapshot-copy"}]),
            ),
            Authorization("kms:CreateGrant", KEY, {**VIA_DESTINATION, "kms:GrantIsForAWSResource": "true"}),
            Authorization("kms:DescribeKey", KEY, VIA_DESTINATION),
        ],
    ),
    (
        "get-function-configuration-by-name",
        call("lambda", "GetFunctionConfiguration", FunctionName="snapcopy-reconcile"),
        [
            Authorization(
                "lambda:GetFunctionConfiguration", f"arn:aws:lambda:{SOURCE}:{ACCOUNT}:function:snapcopy-reconcile"
            )
        ],
    ),
    (
        "get-function-configuration-by-arn-and-qualifier",
        call(
            "lambda",
            "GetFunctionConfiguration",
            DESTINATION,
            FunctionName=f"arn:aws:lambda:{SOURCE}:{ACCOUNT}:function:snapcopy-reconcile",
            Qualifier="live",
        ),
        [
            Authorization(
                "lambda:GetFunctionConfiguration", f"arn:aws:lambda:{SOURCE}:{ACCOUNT}:function:snapcopy-reconcile:live"
            )
        ],
    ),
    (
        "get-function-configuration-by-partial-arn",
        call("lambda", "GetFunctionConfiguration", FunctionName=f"{ACCOUNT}:function:snapcopy-reconcile:3"),
        [
            Authorization(
                "lambda:GetFunctionConfiguration", f"arn:aws:lambda:{SOURCE}:{ACCOUNT}:function:snapcopy-reconcile:3"
            )
        ],
    ),
    # Backup-account mode (issue 17): sharing, the vault's reader role, option groups.
    (
        "share-db-snapshot",
        call(
            "rds",
            "ModifyDBSnapshotAttribute",
            DBSnapshotIdentifier="db1-manual",
            AttributeName="restore",
            ValuesToAdd=["444455556666"],
        ),
        [Authorization("rds:ModifyDBSnapshotAttribute", rds(SOURCE, "snapshot", "db1-manual"))],
    ),
    (
        "share-cluster-snapshot",
        call(
            "rds",
            "ModifyDBClusterSnapshotAttribute",
            DBClusterSnapshotIdentifier="aurora1-manual",
            AttributeName="restore",
            ValuesToRemove=["444455556666"],
        ),
        [Authorization("rds:ModifyDBClusterSnapshotAttribute", rds(SOURCE, "cluster-snapshot", "aurora1-manual"))],
    ),
    (
        "describe-db-snapshot-attributes",
        call("rds", "DescribeDBSnapshotAttributes", DBSnapshotIdentifier="db1-manual"),
        [Authorization("rds:DescribeDBSnapshotAttributes", rds(SOURCE, "snapshot", "db1-manual"))],
    ),
    (
        "describe-cluster-snapshot-attributes",
        call("rds", "DescribeDBClusterSnapshotAttributes", DBClusterSnapshotIdentifier="aurora1-manual"),
        [Authorization("rds:DescribeDBClusterSnapshotAttributes", rds(SOURCE, "cluster-snapshot", "aurora1-manual"))],
    ),
    (
        "copy-option-group",
        call(
            "rds",
            "CopyOptionGroup",
            DESTINATION,
            SourceOptionGroupIdentifier=rds(SOURCE, "og", "orders-og"),
            TargetOptionGroupIdentifier="orders-og-copy",
            TargetOptionGroupDescription="copy",
            Tags=[{"Key": "Team", "Value": "data"}],
        ),
        [
            Authorization(
                "rds:CopyOptionGroup", rds(SOURCE, "og", "orders-og"), request_tags([{"Key": "Team", "Value": "data"}])
            ),
            Authorization(
                "rds:CopyOptionGroup",
                rds(DESTINATION, "og", "orders-og-copy"),
                request_tags([{"Key": "Team", "Value": "data"}]),
            ),
            Authorization(
                "rds:AddTagsToResource",
                rds(DESTINATION, "og", "orders-og-copy"),
                request_tags([{"Key": "Team", "Value": "data"}]),
            ),
        ],
    ),
    (
        "assume-role",
        call(
            "sts", "AssumeRole", RoleArn=f"arn:aws:iam::{ACCOUNT}:role/snapcopy-vault-reader", RoleSessionName="share"
        ),
        [
            Authorization(
                "sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/snapcopy-vault-reader", {"sts:RoleSessionName": "share"}
            )
        ],
    ),
    (
        "add-tags-to-a-tagged-snapshot",
        {
            **call(
                "rds",
                "AddTagsToResource",
                DESTINATION,
                ResourceName=rds(DESTINATION, "snapshot", "db1-copy"),
                Tags=[{"Key": "snapshot_copy_deployment", "Value": "snapcopy"}],
            ),
            "resource_tags": {"source_region": SOURCE},
        },
        [
            Authorization(
                "rds:AddTagsToResource",
                rds(DESTINATION, "snapshot", "db1-copy"),
                {
                    **request_tags([{"Key": "snapshot_copy_deployment", "Value": "snapcopy"}]),
                    "aws:ResourceTag/source_region": SOURCE,
                    "rds:snapshot-tag/source_region": SOURCE,
                },
            )
        ],
    ),
    (
        "restore-db-cluster-with-another-key",
        {
            **call(
                "rds",
                "RestoreDBClusterFromSnapshot",
                DESTINATION,
                DBClusterIdentifier="drill-aurora1",
                SnapshotIdentifier="aurora1-copy",
                Engine="aurora-postgresql",
                KmsKeyId=KEY_ID,
            ),
            "snapshot_kms_key_arn": KEY.replace(KEY_ID, "00000000-12ab-34cd-56ef-1234567890ab"),
        },
        [
            Authorization("rds:RestoreDBClusterFromSnapshot", rds(DESTINATION, "cluster", "drill-aurora1")),
            Authorization("rds:RestoreDBClusterFromSnapshot", rds(DESTINATION, "cluster-snapshot", "aurora1-copy")),
            Authorization("kms:CreateGrant", KEY, {**VIA_DESTINATION, "kms:GrantIsForAWSResource": "true"}),
            Authorization("kms:DescribeKey", KEY, VIA_DESTINATION),
            Authorization(
                "kms:CreateGrant",
                KEY.replace(KEY_ID, "00000000-12ab-34cd-56ef-1234567890ab"),
                {**VIA_DESTINATION, "kms:GrantIsForAWSResource": "true"},
            ),
            Authorization(
                "kms:DescribeKey", KEY.replace(KEY_ID, "00000000-12ab-34cd-56ef-1234567890ab"), VIA_DESTINATION
            ),
        ],
    ),
]


@pytest.mark.parametrize(("recorded", "expected"), [(c, e) for _, c, e in CASES], ids=[name for name, _, _ in CASES])
def test_mapping(recorded: dict[str, Any], expected: list[Authorization]) -> None:
    assert authorizations(recorded, ACCOUNT) == expected


def test_every_mapped_operation_has_a_case() -> None:
    covered = {(c["service"], c["operation"]) for _, c, _ in CASES}
    # The IAM prefix spellings are aliases of the botocore names tested above.
    aliases = {("servicequotas", "GetServiceQuota"), ("servicequotas", "GetAWSDefaultServiceQuota")}
    assert MAPPED_OPERATIONS - aliases - covered == set()


def test_partition_and_account_come_from_the_caller() -> None:
    [auth] = authorizations(
        call("rds", "DeleteDBSnapshot", "cn-north-1", DBSnapshotIdentifier="s"), "210987654321", "aws-cn"
    )
    assert auth.resource == "arn:aws-cn:rds:cn-north-1:210987654321:snapshot:s"


def test_unmapped_operation() -> None:
    with pytest.raises(UnmappedOperation, match=r"sqs:PurgeQueue"):
        authorizations(call("sqs", "PurgeQueue", QueueUrl=QUEUE_URL), ACCOUNT)


def test_kms_alias_cannot_be_resolved_offline() -> None:
    recorded = call(
        "rds",
        "CopyDBSnapshot",
        DESTINATION,
        SourceDBSnapshotIdentifier=SRC_SNAPSHOT,
        TargetDBSnapshotIdentifier="c",
        KmsKeyId="alias/snapcopy",
    )
    with pytest.raises(UnresolvableCall, match=r"alias"):
        authorizations(recorded, ACCOUNT)


def test_missing_identifier_is_unresolvable() -> None:
    with pytest.raises(UnresolvableCall, match=r"DBSnapshotIdentifier"):
        authorizations(call("rds", "DeleteDBSnapshot"), ACCOUNT)


def test_not_a_queue_url() -> None:
    with pytest.raises(UnresolvableCall, match=r"queue URL"):
        authorizations(call("sqs", "ReceiveMessage", QueueUrl="https://example.invalid/"), ACCOUNT)


def test_every_mapped_authorization_is_a_valid_simulator_request() -> None:
    """Action names, ARN shapes and context keys of the mapping agree with the SAR data the simulator checks:
    under an allow-everything identity and key policy each one is Allowed, none is an Error."""
    allow_all = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    key_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    requests: list[Request] = []
    for name, recorded, _ in CASES:
        for i, auth in enumerate(authorizations(recorded, ACCOUNT)):
            requests.append(
                auth.to_request(
                    f"{name}/{i}", ROLE, [allow_all], key_policy if auth.action.startswith("kms:") else None
                )
            )
    results = simulate(requests)
    assert [str(r) for r in results if not r.allowed] == []


def test_copy_of_a_snapshot_shared_from_another_account() -> None:
    # Backup-account mode: the vault copies, in its destination region and in one call, a snapshot another
    # account shared (named by ARN), under that account's key, into its own key, with the option group copied.
    other = "444455556666"
    shared = f"arn:aws:rds:{SOURCE}:{other}:snapshot:share-db1-0123abcd"
    share_key = f"arn:aws:kms:{SOURCE}:{other}:key/{KEY_ID}"
    recorded = {
        **call(
            "rds",
            "CopyDBSnapshot",
            DESTINATION,
            SourceDBSnapshotIdentifier=shared,
            TargetDBSnapshotIdentifier="share-db1-0123abcd-89ef",
            KmsKeyId=KEY,
            SourceRegion=SOURCE,
            CopyOptionGroup=True,
        ),
        "source_kms_key_arn": share_key,
    }
    via_source = {"kms:ViaService": f"rds.{SOURCE}.amazonaws.com", "kms:CallerAccount": ACCOUNT}
    assert authorizations(recorded, ACCOUNT) == [
        Authorization("rds:CopyDBSnapshot", shared, {"rds:CopyOptionGroup": "true"}),
        Authorization(
            "rds:CopyDBSnapshot",
            rds(DESTINATION, "snapshot", "share-db1-0123abcd-89ef"),
            {"rds:CopyOptionGroup": "true"},
        ),
        Authorization("kms:CreateGrant", KEY, {**VIA_DESTINATION, "kms:GrantIsForAWSResource": "true"}),
        Authorization("kms:DescribeKey", KEY, VIA_DESTINATION),
        # The other account's key, asked for by the caller (this account) through RDS of the source region.
        Authorization("kms:CreateGrant", share_key, {**via_source, "kms:GrantIsForAWSResource": "true"}),
        Authorization("kms:DescribeKey", share_key, via_source),
    ]
