"""What Terraform deployed, read back from the emulator (not as the stack meant it): the functions and their
event source mapping, the roles' policies, the key's and the queues' policies (for the IAM simulation), and
what is left of a stack after its removal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from rds_snapshot_copy.demo.aws import DESTINATION_REGION, SOURCE_REGION, Clients


@dataclass(frozen=True)
class DeployedFunction:
    name: str
    code_sha256: str
    environment: dict[str, str]
    handler: str
    batch_size: int
    queue_arn: str
    function_response_types: list[str]
    # Its ARN (the Lambda context's invoked_function_arn: the functions read their own account from it).
    arn: str = ""


def read_back_scheduled_function(clients: Clients, function_name: str) -> DeployedFunction:
    """A function that a schedule invokes (no queue, no mapping), as the emulator holds it."""
    config = clients("lambda").get_function(FunctionName=function_name)["Configuration"]
    return DeployedFunction(
        name=config["FunctionName"],
        code_sha256=config["CodeSha256"],
        environment=dict(config.get("Environment", {}).get("Variables", {})),
        handler=config["Handler"],
        batch_size=0,
        queue_arn="",
        function_response_types=[],
        arn=config["FunctionArn"],
    )


def read_back_function(clients: Clients, function_name: str, queue_arn: str) -> DeployedFunction:
    """The function and its event source mapping as the emulator holds them (not as we meant them)."""
    config = clients("lambda").get_function(FunctionName=function_name)["Configuration"]
    # (moto's ListEventSourceMappings ignores a FunctionName given by name: filter here.)
    mappings = clients("lambda").list_event_source_mappings()["EventSourceMappings"]
    mapping = next(
        (m for m in mappings if m["EventSourceArn"] == queue_arn and m["FunctionArn"] == config["FunctionArn"]), None
    )
    if mapping is None:
        raise AssertionError(f"no event source mapping from {queue_arn} to {function_name}: {mappings}")
    return DeployedFunction(
        name=config["FunctionName"],
        code_sha256=config["CodeSha256"],
        environment=dict(config.get("Environment", {}).get("Variables", {})),
        handler=config["Handler"],
        batch_size=int(mapping["BatchSize"]),
        queue_arn=mapping["EventSourceArn"],
        function_response_types=list(mapping.get("FunctionResponseTypes") or []),
        arn=config["FunctionArn"],
    )


@dataclass
class Leftovers:
    found: dict[str, list[str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(self.found.values())


def leftovers(clients: Clients, name: str, kept_key_arn: str | None = None) -> Leftovers:
    """Resources named after the stack that are still in the emulator (a KMS key pending deletion is gone),
    except the key kept on purpose (`kept_key_arn`) and its alias."""
    src, dst = SOURCE_REGION, DESTINATION_REGION
    result = Leftovers()
    result.found["lambda functions"] = [
        f["FunctionName"]
        for f in clients("lambda", src).list_functions()["Functions"]
        if f["FunctionName"].startswith(name)
    ]
    result.found["event source mappings"] = [
        m["UUID"] for m in clients("lambda", src).list_event_source_mappings()["EventSourceMappings"]
    ]
    result.found["queues"] = clients("sqs", src).list_queues(QueueNamePrefix=name).get("QueueUrls", [])
    result.found["rules"] = [r["Name"] for r in clients("events", src).list_rules(NamePrefix=name)["Rules"]]
    result.found["roles"] = [
        r["RoleName"] for r in clients("iam", src).list_roles()["Roles"] if r["RoleName"].startswith(name)
    ]
    result.found["log groups"] = [
        g["logGroupName"]
        for g in clients("logs", src).describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{name}")["logGroups"]
    ]
    result.found["tables"] = [t for t in clients("dynamodb", src).list_tables()["TableNames"] if t.startswith(name)]
    result.found["alarms"] = [
        a["AlarmName"] for a in clients("cloudwatch", src).describe_alarms(AlarmNamePrefix=name)["MetricAlarms"]
    ]
    kms = clients("kms", dst)
    kept = kms.describe_key(KeyId=kept_key_arn)["KeyMetadata"]["KeyId"] if kept_key_arn else None
    result.found["kms aliases"] = [
        a["AliasName"]
        for a in kms.list_aliases()["Aliases"]
        if a["AliasName"] == f"alias/{name}" and a.get("TargetKeyId") != kept
    ]
    keys = [kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"] for k in kms.list_keys()["Keys"]]
    result.found["kms keys not pending deletion"] = [
        key["KeyId"]
        for key in keys
        if key["KeyState"] not in ("PendingDeletion", "Disabled")
        and key.get("KeyManager") == "CUSTOMER"
        and key["KeyId"] != kept
    ]
    return result


@dataclass(frozen=True)
class RolePolicies:
    """One function's role: its ARN, its inline policies and its trust policy, as deployed."""

    arn: str
    identity: list[dict[str, Any]]
    trust: dict[str, Any]


@dataclass(frozen=True)
class DeployedPolicies:
    """The policies as Terraform deployed them, read back from the emulator."""

    roles: dict[str, RolePolicies]  # by function: "copier", "pruner", "reconciler"
    key_arn: str
    key: dict[str, Any]
    queues: dict[str, dict[str, Any]]  # queue ARN -> its policy
    queue_arn: str
    dead_letter_queue_arn: str
    rule_arn: str
    # The copy requests table (copy_requests_table_name output), which the copier and the reconciler write.
    copy_requests_table_arn: str | None = None
    # The rendered operator policy (operator_policy_json output): for whoever runs restore and drill.
    operator: dict[str, Any] | None = None

    @property
    def role_arn(self) -> str:
        return self.roles["copier"].arn

    @property
    def identity(self) -> list[dict[str, Any]]:
        return self.roles["copier"].identity

    @property
    def trust(self) -> dict[str, Any]:
        return self.roles["copier"].trust


def _role_policies(clients: Clients, function_name: str) -> RolePolicies:
    role_arn = clients("lambda", SOURCE_REGION).get_function(FunctionName=function_name)["Configuration"]["Role"]
    role_name = role_arn.rsplit("/", 1)[1]
    iam = clients("iam", SOURCE_REGION)
    identity = []
    for policy_name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
        identity.append(json.loads(document) if isinstance(document, str) else document)
    if iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        raise AssertionError(f"{role_name} has managed policies attached: the simulation reads inline ones only")
    trust = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
    return RolePolicies(role_arn, identity, json.loads(trust) if isinstance(trust, str) else trust)


def read_back_policies(clients: Clients, outputs: dict[str, Any]) -> DeployedPolicies:
    functions = {
        "copier": outputs["function_name"],
        "pruner": outputs.get("prune_function_name"),
        "reconciler": outputs.get("reconcile_function_name"),
    }
    roles = {key: _role_policies(clients, name) for key, name in functions.items() if name}
    key = clients("kms", DESTINATION_REGION).get_key_policy(KeyId=outputs["kms_key_arn"], PolicyName="default")
    sqs = clients("sqs", SOURCE_REGION)
    queues, arns = {}, []
    for url in (outputs["queue_url"], outputs["dead_letter_queue_url"]):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn", "Policy"])["Attributes"]
        queues[attributes["QueueArn"]] = json.loads(attributes.get("Policy") or "{}")
        arns.append(attributes["QueueArn"])
    rule_arn = clients("events", SOURCE_REGION).describe_rule(Name=outputs["rule_name"])["Arn"]
    table = outputs.get("copy_requests_table_name")
    table_arn = (
        clients("dynamodb", SOURCE_REGION).describe_table(TableName=table)["Table"]["TableArn"] if table else None
    )
    operator = outputs.get("operator_policy_json")
    return DeployedPolicies(
        roles=roles,
        key_arn=outputs["kms_key_arn"],
        key=json.loads(key["Policy"]),
        queues=queues,
        queue_arn=arns[0],
        dead_letter_queue_arn=arns[1],
        rule_arn=rule_arn,
        copy_requests_table_arn=table_arn,
        operator=json.loads(operator) if operator else None,
    )
