"""What examples/backup-account deployed in BOTH accounts, read back from the emulator (not as the stack meant
it): the vault's policies (readback.DeployedPolicies, as for examples/complete, plus its reader role) and the
source side's (the share function's role, the share key's policy, its queues' policies, its rule), for the
IAM simulation of the backup-account mode (tests/iam).

The source side is found from what it deployed, not from the example's output names: the share function is
the source account's function whose handler is SHARE_HANDLER; its queue is its event source mapping's; its
rule is the one that targets that queue; its key is its SHARE_KMS_KEY_ID.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rds_snapshot_copy.demo.aws import DESTINATION_REGION, SOURCE_REGION, Clients
from rds_snapshot_copy.demo.readback import (
    DeployedFunction,
    DeployedPolicies,
    RolePolicies,
    read_back_function,
    read_back_policies,
)

SHARE_HANDLER = "share_snapshot.lambda_handler"


def _role_policies_by_arn(clients: Clients, role_arn: str) -> RolePolicies:
    role_name = role_arn.rsplit("/", 1)[1]
    iam = clients("iam", SOURCE_REGION)
    identity = []
    for policy_name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
        identity.append(json.loads(document) if isinstance(document, str) else document)
    trust = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
    return RolePolicies(role_arn, identity, json.loads(trust) if isinstance(trust, str) else trust)


def find_share_function(source: Clients) -> DeployedFunction:
    """The source side's function and its event source mapping, as the source account's emulator holds them."""
    functions = source("lambda", SOURCE_REGION).list_functions()["Functions"]
    found = [f for f in functions if f.get("Handler") == SHARE_HANDLER]
    if len(found) != 1:
        names = [f["FunctionName"] for f in functions]
        raise AssertionError(f"expected one function with handler {SHARE_HANDLER} in the source account: {names}")
    arn = found[0]["FunctionArn"]
    mappings = source("lambda", SOURCE_REGION).list_event_source_mappings()["EventSourceMappings"]
    queues = [m["EventSourceArn"] for m in mappings if m["FunctionArn"] == arn]
    if len(queues) != 1:
        raise AssertionError(f"expected one event source mapping to {arn}: {mappings}")
    return read_back_function(source, found[0]["FunctionName"], queues[0])


def queue_url_of(clients: Clients, queue_arn: str) -> str:
    _, _, _, region, account, name = queue_arn.split(":")
    return clients("sqs", region).get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]


@dataclass(frozen=True)
class SourcePolicies:
    """The source side in one source account, as deployed."""

    function_name: str
    role: RolePolicies  # the share function's role (<name>-<region>)
    environment: dict[str, str]  # the share function's (DEPLOYMENT_NAME, VAULTS, SHARE_KMS_KEY_ID, ...)
    share_key_arn: str
    share_key: dict[str, Any]  # its key policy
    queues: dict[str, dict[str, Any]]  # queue ARN -> its policy
    queue_arn: str
    dead_letter_queue_arn: str | None
    rule_arn: str


@dataclass(frozen=True)
class BackupPolicies:
    """Both accounts' policies as examples/backup-account deployed them."""

    vault: DeployedPolicies
    vault_reader: RolePolicies  # <name>-vault-reader, which the source roles assume for the clean-up
    source: SourcePolicies
    vault_account_id: str
    source_account_id: str
    source_region: str = SOURCE_REGION
    destination_region: str = DESTINATION_REGION


def read_back_source_policies(source: Clients) -> SourcePolicies:
    function = find_share_function(source)
    config = source("lambda", SOURCE_REGION).get_function(FunctionName=function.name)["Configuration"]
    role = _role_policies_by_arn(source, config["Role"])
    key_arn = function.environment["SHARE_KMS_KEY_ID"]
    key = source("kms", SOURCE_REGION).get_key_policy(KeyId=key_arn, PolicyName="default")
    sqs = source("sqs", SOURCE_REGION)
    queue_url = queue_url_of(source, function.queue_arn)
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["Policy", "RedrivePolicy"])
    queues = {function.queue_arn: json.loads(attributes["Attributes"].get("Policy") or "{}")}
    redrive = json.loads(attributes["Attributes"].get("RedrivePolicy") or "{}")
    dead_letter_arn = redrive.get("deadLetterTargetArn")
    if dead_letter_arn:
        dlq = sqs.get_queue_attributes(QueueUrl=queue_url_of(source, dead_letter_arn), AttributeNames=["Policy"])
        queues[dead_letter_arn] = json.loads(dlq["Attributes"].get("Policy") or "{}")
    events = source("events", SOURCE_REGION)
    rules = events.list_rule_names_by_target(TargetArn=function.queue_arn)["RuleNames"]
    if len(rules) != 1:
        raise AssertionError(f"expected one rule targeting {function.queue_arn}: {rules}")
    return SourcePolicies(
        function_name=function.name,
        role=role,
        environment=dict(function.environment),
        share_key_arn=key_arn,
        share_key=json.loads(key["Policy"]),
        queues=queues,
        queue_arn=function.queue_arn,
        dead_letter_queue_arn=dead_letter_arn,
        rule_arn=events.describe_rule(Name=rules[0])["Arn"],
    )


def read_back_backup_policies(outputs: dict[str, Any], vault: Clients, source: Clients) -> BackupPolicies:
    """Both accounts' policies. `outputs`: the example's (the vault's as examples/complete names them, and
    `backup_account`, the vault's output of that name)."""
    backup = outputs["backup_account"]
    vault_policies = read_back_policies(vault, outputs)
    source_policies = read_back_source_policies(source)
    return BackupPolicies(
        vault=vault_policies,
        vault_reader=_role_policies_by_arn(vault, backup["reader_role_arn"]),
        source=source_policies,
        vault_account_id=backup["account_id"],
        source_account_id=source_policies.role.arn.split(":")[4],
        source_region=backup["source_region"],
        destination_region=backup["destination_region"],
    )
