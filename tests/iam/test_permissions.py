"""Every permission proven: each AWS call a function made during the tests, evaluated by an IAM policy
simulator against the policies as Terraform deployed them, and a list of what each role must never do.

moto enforces no IAM, key policy or queue policy, so without this a missing permission passes every other
test and fails in AWS (the copier once shipped without sqs:GetQueueUrl that way).

- The calls: the unit tests' (in-process, under moto: recorded by tests/iam/recording.py while the handler
  runs) and the end-to-end test's (the deployed package's handler, run against the deployed stack). The
  unit tests use other regions and names than the deployment; their calls are moved onto the deployment's
  (regions, queue names, the destination key) before they are evaluated.
- The policies: read back from the emulator right after `terraform apply` of examples/complete (the
  role's inline policy, its trust policy, the key policy, both queue policies).
- Each call becomes the authorizations AWS makes for it (tests/iam/actions.py, from the Service
  Authorization Reference); an operation missing there fails by name.

These tests run last (tests/conftest.py orders them), after the calls were recorded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pytest

from rds_snapshot_copy.demo.stack import DeployedPolicies
from snapshot_copy.config import DEFAULT_DEPLOYMENT_NAME
from snapshot_copy.tagging import TAG_DEPLOYMENT, TAG_SOURCE_REGION, TAG_SOURCE_SNAPSHOT_ARN
from tests.conftest import Deployment
from tests.iam.actions import Authorization, authorizations
from tests.iam.recording import RECORDER, RecordedCall, load_jsonl
from tests.iam.simulator import Request, Result, simulate
from tests.unit import harness

pytestmark = [pytest.mark.iam_simulation, pytest.mark.e2e]

ACCOUNT = harness.ACCOUNT  # moto's default account, in the unit tests and in the emulator alike
THIRD_REGION = "us-east-2"


@pytest.fixture(scope="module")
def deployed(deployment: Deployment) -> Deployment:
    assert deployment.policies is not None, (
        "the end-to-end test did not get as far as reading the deployed policies back: see its failure"
    )
    return deployment


@dataclass(frozen=True)
class Names:
    """What the unit tests call things, and what the deployment calls them."""

    source: str
    destination: str
    events_queue: str
    key_arn: str
    table: str = ""  # the copy requests table's name
    deployment: str = DEFAULT_DEPLOYMENT_NAME  # the module's name: the identity on every copy

    @classmethod
    def of(cls, policies: DeployedPolicies, outputs: dict[str, Any]) -> Names:
        deployment = outputs["lambda_environment"]["DEPLOYMENT_NAME"]
        return cls(
            source=outputs["lambda_environment"]["SOURCE_REGION"],
            destination=outputs["lambda_environment"]["DESTINATION_REGION"],
            events_queue=policies.queue_arn.rsplit(":", 1)[1],
            key_arn=policies.key_arn,
            table=(policies.copy_requests_table_arn or "").rsplit("/", 1)[-1],
            deployment=deployment,
        )

    def own_copy(self, **overrides: Any) -> dict[str, Any]:
        """The resource-tag context of one of this deployment's copies (aws:ResourceTag/...), with `overrides`
        (None leaves a tag out): what the delete and adopt conditions read."""
        tags = {
            TAG_DEPLOYMENT: self.deployment,
            TAG_SOURCE_REGION: self.source,
            TAG_SOURCE_SNAPSHOT_ARN: f"arn:aws:rds:{self.source}:{ACCOUNT}:snapshot:orders-db-manual-1",
        }
        tags.update(overrides)
        return {f"aws:ResourceTag/{key}": value for key, value in tags.items() if value is not None}

    def copy_request_tags(self, **overrides: Any) -> dict[str, Any]:
        """The request-tag context of the copier tagging a copy as this deployment's, with `overrides`."""
        tags = {TAG_DEPLOYMENT: self.deployment, TAG_SOURCE_REGION: self.source}
        tags.update(overrides)
        tags = {key: value for key, value in tags.items() if value is not None}
        return {"aws:TagKeys": sorted(tags), **{f"aws:RequestTag/{key}": value for key, value in tags.items()}}

    def forged_identities(self) -> dict[str, str]:
        """Deployment-tag values that only resemble this deployment's name, by what is wrong with them. A tag
        has one value (aws:ResourceTag/<key> and aws:RequestTag/<key> are single-valued keys), so a "list" is
        a value that lists the name among others."""
        name = self.deployment
        return {
            "another deployment's name": "someone-elses-copies",
            "the name in another case": name.upper(),
            "the name with a suffix (another deployment named after it)": f"{name}-2",
            "a prefix of the name": name[: len(name) // 2],
            "a wildcard matching the name": f"{name[:4]}*",
            "the name with a space": f"{name} ",
            "an empty name": "",
            "a list holding the name": f"{name},someone-elses-copies",
            "the name as a JSON list": json.dumps([name]),
        }

    def move_key(self, key_arn: str | None) -> str | None:
        """A key of the unit tests' destination is the deployment's key."""
        if key_arn is None:
            return None
        key_arn = re.sub(r"\bus-west-2\b", self.destination, re.sub(r"\bus-east-1\b", self.source, key_arn))
        return re.sub(rf"^arn:aws:kms:{self.destination}:\d{{12}}:key/[A-Za-z0-9-]+$", self.key_arn, key_arn)

    def move(self, call: RecordedCall) -> RecordedCall:
        """A unit test's call as the deployed function would make it."""
        text = json.dumps(call.params)
        text = re.sub(r"\bus-east-1\b", self.source, text)
        text = re.sub(r"\bus-west-2\b", self.destination, text)
        text = re.sub(rf"arn:aws:kms:{self.destination}:\d{{12}}:key/[A-Za-z0-9-]+", self.key_arn, text)
        # The unit tests' events queue is "rds-snapshot-copy"; its dead-letter queue has the deployed name.
        text = re.sub(r"(/\d{12}/|:\d{12}:)rds-snapshot-copy\"", rf'\g<1>{self.events_queue}"', text)
        if self.table:  # the unit tests' copy requests table (a RequestItems key) is the deployment's
            text = text.replace(f'"{harness.REQUESTS_TABLE}"', f'"{self.table}"')
        params = json.loads(text)
        if call.operation == "GetQueueUrl" and params.get("QueueName") == harness.Queues.name:
            params["QueueName"] = self.events_queue
        regions = {"us-east-1": self.source, "us-west-2": self.destination}
        region = regions.get(call.region, call.region)
        own = call.deployment or DEFAULT_DEPLOYMENT_NAME

        def identity(name: str) -> str:
            # The function's own name (whatever the test called its deployment) is the deployment's; any other
            # stays another's (even one that happens to be the deployment's), so a call touching another
            # deployment's copy is judged as such.
            return self.deployment if name == own else f"not-{name}" if name == self.deployment else name

        tags = call.resource_tags
        if tags is not None:
            tags = {
                k: regions.get(v, v) if k == TAG_SOURCE_REGION else identity(v) if k == TAG_DEPLOYMENT else v
                for k, v in tags.items()
            }
        if isinstance(params.get("Tags"), list):
            params["Tags"] = [
                {**t, "Value": identity(t.get("Value", ""))} if t.get("Key") == TAG_DEPLOYMENT else t
                for t in params["Tags"]
            ]
        return RecordedCall(
            call.function,
            call.service,
            call.operation,
            region,
            params,
            call.where,
            tags,
            self.move_key(call.snapshot_kms_key_arn),
            self.deployment,
        )


def resource_policy(policies: DeployedPolicies, resource: str) -> dict[str, Any] | None:
    if resource == policies.key_arn:
        return policies.key
    return policies.queues.get(resource)


def request(
    policies: DeployedPolicies,
    ident: str,
    auth: Authorization,
    region: str,
    principal: str | None = None,
    function: str = "copier",
) -> Request:
    """`function`'s role (or another `principal`, with no identity policy) asking for `auth`."""
    # aws:RequestedRegion is in every request's context in AWS; the mapping leaves global keys to us.
    context = {"aws:RequestedRegion": region, **auth.context}
    role = policies.roles[function]
    return Request(
        id=ident,
        principal=principal or role.arn,
        action=auth.action,
        resource=auth.resource,
        context=context,
        identity_policies=role.identity if principal is None else (),
        resource_policy=resource_policy(policies, auth.resource),
    )


def evaluate(requests: Iterable[Request]) -> list[tuple[Request, Result]]:
    unique: dict[str, Request] = {}
    for r in requests:
        key = json.dumps([r.principal, r.action, r.resource, sorted(r.context.items())], default=str)
        unique.setdefault(key, r)
    batch = list(unique.values())
    return list(zip(batch, simulate(batch), strict=True))


# The backup-account mode's tests copy another account's shared snapshots: their calls are proven against a
# vault's policies (test_backup_account_permissions.py), not against this single-account deployment's.
BACKUP_ACCOUNT_TESTS = ("test_vault_", "test_a_vaults_status")


def single_account(calls: list[RecordedCall]) -> list[RecordedCall]:
    return [c for c in calls if not any(marker in c.where for marker in BACKUP_ACCOUNT_TESTS)]


def recorded_copier_calls(deployed: Deployment) -> tuple[list[RecordedCall], list[RecordedCall]]:
    names = Names.of(deployed.policies, deployed.outputs)
    unit = [names.move(c) for c in single_account(RECORDER.of("copier"))]
    e2e = load_jsonl(deployed.recorded_calls_file, "copier", "tests/e2e/test_end_to_end.py (deployed package)")
    return unit, e2e


def test_every_call_the_copier_made_is_allowed(deployed: Deployment) -> None:
    policies = deployed.policies
    unit, e2e = recorded_copier_calls(deployed)
    assert unit, "no calls recorded from the unit tests: is tests/unit in this run?"
    assert e2e, "no calls recorded from the deployed package's handler"
    calls = unit + e2e
    ours, foreign, untagged = [], [], []
    for n, call in enumerate(calls):
        for m, auth in enumerate(authorizations(call.as_call(), ACCOUNT)):
            r = request(policies, f"{n}.{m} {call.operation} ({call.where})", auth, call.region)
            if auth.action.startswith("sqs:") and auth.resource not in policies.queues:
                # A few tests point the function at a queue that is not the deployment's (a dead-letter queue
                # that does not exist, a record from another queue): there AWS must refuse, and so must we.
                foreign.append(r)
            elif auth.action.startswith("rds:Delete") and call.resource_tags is None:
                # A delete whose target's tags the recorder could not read (a stubbed client answers the test's
                # AccessDenied): AWS would judge it without the identity tags, so it must be refused.
                untagged.append(r)
            else:
                ours.append(r)
    denied = [f"{result}" for _, result in evaluate(ours) if not result.allowed]
    assert not denied, "the copier's role would be refused in AWS:\n" + "\n".join(denied)
    assert foreign, "the tests that send to a foreign queue no longer run"
    allowed = [f"{result}" for _, result in evaluate(foreign + untagged) if result.allowed]
    assert not allowed, (
        "the copier's role may use queues that are not the deployment's, or delete without the tags:\n"
        + "\n".join(allowed)
    )
    # What the proof covers: every path that makes a call of its own.
    operations = {c.operation for c in calls}
    assert {
        "DescribeDBSnapshots",
        "DescribeDBClusterSnapshots",
        "CopyDBSnapshot",
        "CopyDBClusterSnapshot",
        "GetQueueUrl",
        "ChangeMessageVisibilityBatch",
        "SendMessage",
        "BatchWriteItem",  # the copy requests it postpones or dead-letters (REQUESTS_TABLE)
        "DeleteDBSnapshot",  # a broken copy of its own, before copying again
        "DeleteDBClusterSnapshot",
    } <= operations, sorted(operations)
    # Its deletes were of this deployment's copies (the identity the policy relies on was really there).
    deployment = Names.of(policies, deployed.outputs).deployment
    deletes = [c for c in calls if c.operation.startswith("Delete") and c.resource_tags is not None]
    assert deletes and all(c.resource_tags.get(TAG_DEPLOYMENT) == deployment for c in deletes), [
        (c.params, c.resource_tags) for c in deletes
    ]
    # The table written is the deployment's (the unit tests' is moved onto it): its ARN was authorized.
    tables = {a.resource for c in calls if c.service == "dynamodb" for a in authorizations(c.as_call(), ACCOUNT)}
    assert tables == {policies.copy_requests_table_arn}, tables


def test_the_back_off_is_allowed_through_the_deployed_path(deployed: Deployment) -> None:
    # The bug this layer exists for: without sqs:GetQueueUrl every waiting message came back after six
    # function timeouts instead of 60 s doubling to 15 min.
    policies = deployed.policies
    unit, _ = recorded_copier_calls(deployed)
    back_off = [c for c in unit if c.operation in ("GetQueueUrl", "ChangeMessageVisibilityBatch")]
    assert {c.operation for c in back_off} == {"GetQueueUrl", "ChangeMessageVisibilityBatch"}
    requests = [
        request(policies, f"{n}.{m} {c.operation}", auth, c.region)
        for n, c in enumerate(back_off)
        for m, auth in enumerate(authorizations(c.as_call(), ACCOUNT))
        if auth.resource in policies.queues  # not the tests' deliberately foreign queues
    ]
    results = evaluate(requests)
    assert {r.action for r, _ in results} == {"sqs:GetQueueUrl", "sqs:ChangeMessageVisibility"}
    assert all(result.allowed for _, result in results), [str(result) for _, result in results]


def must_deny(deployed: Deployment) -> list[tuple[str, Request]]:
    """What the copier's role, and anyone else, must never be allowed."""
    p = deployed.policies
    n = Names.of(p, deployed.outputs)
    src, dst = n.source, n.destination
    copy_arn = f"arn:aws:rds:{dst}:{ACCOUNT}:snapshot:orders-db-manual-1-0123abcd"
    cluster_copy_arn = f"arn:aws:rds:{dst}:{ACCOUNT}:cluster-snapshot:ledger-aurora-manual-1-0123abcd"
    source_arn = f"arn:aws:rds:{src}:{ACCOUNT}:snapshot:orders-db-manual-1"
    ours = n.copy_request_tags()
    via_rds = {"kms:ViaService": f"rds.{dst}.amazonaws.com", "kms:CallerAccount": ACCOUNT}
    events_queue = p.queue_arn
    dlq = p.dead_letter_queue_arn
    this_rule = p.rule_arn
    other_rule = this_rule.rsplit("/", 1)[0] + "/someone-elses-rule"

    def role(reason: str, action: str, resource: str, region: str, **context: Any) -> tuple[str, Request]:
        return reason, request(p, reason, Authorization(action, resource, context), region)

    def other(reason: str, principal: str, action: str, resource: str, region: str, **context: Any):
        return reason, request(p, reason, Authorization(action, resource, context), region, principal=principal)

    # Its broken copies it may delete (test_the_allowed_counterparts...); nothing else, whatever the tags say.
    forged_deletes = [
        role(
            f"delete a copy tagged with {what}",
            "rds:DeleteDBSnapshot",
            copy_arn,
            dst,
            **n.own_copy(**{TAG_DEPLOYMENT: value}),
        )
        for what, value in n.forged_identities().items()
    ]
    forged_tagging = [
        role(
            f"tag a copy with {what}",
            "rds:AddTagsToResource",
            copy_arn,
            dst,
            **n.copy_request_tags(**{TAG_DEPLOYMENT: value}),
        )
        for what, value in n.forged_identities().items()
    ]
    return [
        role("delete an untagged snapshot", "rds:DeleteDBSnapshot", copy_arn, dst),
        role("delete an untagged cluster snapshot", "rds:DeleteDBClusterSnapshot", cluster_copy_arn, dst),
        role(
            "delete a 0.4.x copy (no deployment tag)",
            "rds:DeleteDBSnapshot",
            copy_arn,
            dst,
            **n.own_copy(**{TAG_DEPLOYMENT: None}),
        ),
        role(
            "delete another deployment's cluster copy",
            "rds:DeleteDBClusterSnapshot",
            cluster_copy_arn,
            dst,
            **n.own_copy(**{TAG_DEPLOYMENT: "someone-elses-copies"}),
        ),
        role(
            "delete a copy of another source region",
            "rds:DeleteDBSnapshot",
            copy_arn,
            dst,
            **n.own_copy(**{TAG_SOURCE_REGION: THIRD_REGION}),
        ),
        role(
            "delete a snapshot without a source ARN tag",
            "rds:DeleteDBSnapshot",
            copy_arn,
            dst,
            **n.own_copy(**{TAG_SOURCE_SNAPSHOT_ARN: None}),
        ),
        role("delete a source snapshot", "rds:DeleteDBSnapshot", source_arn, src),
        role(
            "delete a source-region snapshot tagged as its copy",
            "rds:DeleteDBSnapshot",
            source_arn,
            src,
            **n.own_copy(),
        ),
        *forged_deletes,
        *forged_tagging,
        role(
            "tag a copy without an identity",
            "rds:AddTagsToResource",
            copy_arn,
            dst,
            **n.copy_request_tags(**{TAG_DEPLOYMENT: None}),
        ),
        role("share a copy", "rds:ModifyDBSnapshotAttribute", copy_arn, dst),
        role("modify a copy", "rds:ModifyDBSnapshot", copy_arn, dst),
        role(
            "copy into a third region",
            "rds:CopyDBSnapshot",
            f"arn:aws:rds:{THIRD_REGION}:{ACCOUNT}:snapshot:x",
            THIRD_REGION,
            **ours,
        ),
        role(
            "copy a cluster snapshot into a third region",
            "rds:CopyDBClusterSnapshot",
            f"arn:aws:rds:{THIRD_REGION}:{ACCOUNT}:cluster-snapshot:x",
            THIRD_REGION,
            **ours,
        ),
        role("list snapshots in a third region", "rds:DescribeDBSnapshots", "*", THIRD_REGION),
        role(
            "tag without marking the copy as ours",
            "rds:AddTagsToResource",
            copy_arn,
            dst,
            **{"aws:RequestTag/owner": "x", "aws:TagKeys": ["owner"]},
        ),
        role(
            "tag as another source region's copy",
            "rds:AddTagsToResource",
            copy_arn,
            dst,
            **n.copy_request_tags(**{TAG_SOURCE_REGION: THIRD_REGION}),
        ),
        role(
            "tag a source-region snapshot as its copy",
            "rds:AddTagsToResource",
            source_arn,
            src,
            **n.copy_request_tags(),
        ),
        role("decrypt with the key directly", "kms:Decrypt", p.key_arn, dst),
        role("decrypt with the key, even through RDS", "kms:Decrypt", p.key_arn, dst, **via_rds),
        role("create a grant outside RDS", "kms:CreateGrant", p.key_arn, dst, **{"kms:GrantIsForAWSResource": "true"}),
        role(
            "create a grant through RDS in the source region",
            "kms:CreateGrant",
            p.key_arn,
            dst,
            **{"kms:ViaService": f"rds.{src}.amazonaws.com", "kms:GrantIsForAWSResource": "true"},
        ),
        role(
            "create a grant not for an AWS resource",
            "kms:CreateGrant",
            p.key_arn,
            dst,
            **via_rds,
            **{"kms:GrantIsForAWSResource": "false"},
        ),
        role("describe the key outside RDS", "kms:DescribeKey", p.key_arn, dst),
        role("send to its own events queue", "sqs:SendMessage", events_queue, src),
        role("read the copy requests (it only writes them)", "dynamodb:BatchGetItem", p.copy_requests_table_arn, src),
        role(
            "write another table",
            "dynamodb:BatchWriteItem",
            p.copy_requests_table_arn.rsplit("/", 1)[0] + "/someone-elses-table",
            src,
        ),
        role("delete a copy request", "dynamodb:DeleteItem", p.copy_requests_table_arn, src),
        role("purge the events queue", "sqs:PurgeQueue", events_queue, src),
        role("read the dead-letter queue", "sqs:ReceiveMessage", dlq, src),
        other(
            "another rule sends to the events queue",
            "events.amazonaws.com",
            "sqs:SendMessage",
            events_queue,
            src,
            **{"aws:SourceArn": other_rule, "aws:SourceAccount": ACCOUNT},
        ),
        other(
            "another rule sends to the dead-letter queue",
            "events.amazonaws.com",
            "sqs:SendMessage",
            dlq,
            src,
            **{"aws:SourceArn": other_rule, "aws:SourceAccount": ACCOUNT},
        ),
        other(
            "SNS sends to the events queue",
            "sns.amazonaws.com",
            "sqs:SendMessage",
            events_queue,
            src,
            **{"aws:SourceArn": f"arn:aws:sns:{src}:{ACCOUNT}:topic"},
        ),
        other(
            "another account sends to the events queue",
            "arn:aws:iam::210987654321:role/intruder",
            "sqs:SendMessage",
            events_queue,
            src,
        ),
        other("EC2 assumes the copier's role", "ec2.amazonaws.com", "sts:AssumeRole", p.role_arn, src),
        other(
            "Lambda of another account assumes the role",
            "lambda.amazonaws.com",
            "sts:AssumeRole",
            p.role_arn,
            src,
            **{"aws:SourceAccount": "210987654321"},
        ),
    ]


def test_the_copier_and_strangers_are_denied_what_they_must_never_do(deployed: Deployment) -> None:
    cases = must_deny(deployed)
    policies = deployed.policies
    results = simulate([replace_policies(r, policies) for _, r in cases])
    wrong = [
        f"{reason}: {result}"
        for (reason, _), result in zip(cases, results, strict=True)
        if result.decision not in ("ImplicitlyDenied", "ExplicitlyDenied")
    ]
    assert not wrong, "must be denied, but is not:\n" + "\n".join(wrong)


def replace_policies(r: Request, policies: DeployedPolicies) -> Request:
    """AssumeRole is decided by the role's trust policy."""
    if r.action == "sts:AssumeRole":
        return Request(r.id, r.principal, r.action, r.resource, r.context, r.identity_policies, policies.trust)
    return r


def test_the_allowed_counterparts_of_the_denials_are_allowed(deployed: Deployment) -> None:
    # A must-deny list proves nothing if everything is denied: the same requests, made right, pass.
    p = deployed.policies
    n = Names.of(p, deployed.outputs)
    this_rule = p.rule_arn
    cases = [
        request(
            p,
            "this rule sends to the events queue",
            Authorization(
                "sqs:SendMessage",
                p.queue_arn,
                {"aws:SourceArn": this_rule, "aws:SourceAccount": ACCOUNT},
            ),
            n.source,
            principal="events.amazonaws.com",
        ),
        request(
            p,
            "this rule dead-letters",
            Authorization(
                "sqs:SendMessage",
                p.dead_letter_queue_arn,
                {"aws:SourceArn": this_rule, "aws:SourceAccount": ACCOUNT},
            ),
            n.source,
            principal="events.amazonaws.com",
        ),
        replace_policies(
            request(
                p,
                "Lambda of this account assumes the role",
                Authorization("sts:AssumeRole", p.role_arn, {"aws:SourceAccount": ACCOUNT}),
                n.source,
                principal="lambda.amazonaws.com",
            ),
            p,
        ),
        request(
            p,
            "grant through RDS in the destination",
            Authorization(
                "kms:CreateGrant",
                p.key_arn,
                {"kms:ViaService": f"rds.{n.destination}.amazonaws.com", "kms:GrantIsForAWSResource": "true"},
            ),
            n.destination,
        ),
        request(
            p,
            "write the copy requests",
            Authorization("dynamodb:BatchWriteItem", p.copy_requests_table_arn),
            n.source,
        ),
        request(
            p,
            "tag a copy as ours",
            Authorization(
                "rds:AddTagsToResource", f"arn:aws:rds:{n.destination}:{ACCOUNT}:snapshot:x", n.copy_request_tags()
            ),
            n.destination,
        ),
        request(
            p,
            "delete a broken copy of its own",
            Authorization("rds:DeleteDBSnapshot", f"arn:aws:rds:{n.destination}:{ACCOUNT}:snapshot:x", n.own_copy()),
            n.destination,
        ),
        request(
            p,
            "delete a broken cluster copy of its own",
            Authorization(
                "rds:DeleteDBClusterSnapshot",
                f"arn:aws:rds:{n.destination}:{ACCOUNT}:cluster-snapshot:x",
                n.own_copy(),
            ),
            n.destination,
        ),
    ]
    results = simulate(cases)
    assert all(r.allowed for r in results), [str(r) for r in results]
