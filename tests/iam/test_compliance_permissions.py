"""Retention that holds against people (issue 18), proven: the SCP the module outputs
(backup_protection_scp_json) together with the roles, and the key's guard (its key policy), as deployed.

The policies are the end-to-end test's: the roles' and the key's read back from the emulator after
`terraform apply` of examples/complete, and the SCP from its output (run alone, the fixture applies it).
The deployed functions' recorded calls, which the SCP must let through, come from the end-to-end test only.
The demo's key admin (the break-glass role) is rds_snapshot_copy.demo.stack.DEMO_KEY_ADMIN_ARN.

How an SCP is evaluated here: the simulator (tests/iam/simulator.py) evaluates the account's policies (the
caller's identity policies and the resource's policy). The SCP is evaluated by the same simulator, as the
caller's only policies next to AWS's default FullAWSAccess SCP ("*" on "*"), which is what Organizations
attaches unless told otherwise: the SCP refuses a request exactly when that evaluation is an explicit deny.
AWS allows a request when the SCPs do not refuse it and the account's policies allow it (an explicit deny
anywhere wins), which is `decide` below. The conditions (the copies' identity tag, aws:PrincipalArn) are
matched by the simulator, not here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from rds_snapshot_copy.demo.readback import read_back_policies
from rds_snapshot_copy.demo.stack import DEMO_KEY_ADMIN_ARN
from snapshot_copy.tagging import TAG_DEPLOYMENT, TAG_SOURCE_SNAPSHOT_ARN
from tests.conftest import Deployment
from tests.iam.actions import authorizations
from tests.iam.recording import RecordedCall, load_jsonl
from tests.iam.simulator import Request, Result, simulate
from tests.iam.test_permissions import ACCOUNT, Names, resource_policy

pytestmark = [pytest.mark.iam_simulation, pytest.mark.e2e]

FULL_AWS_ACCESS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
# An administrator of the account: what AdministratorAccess grants.
ADMINISTRATOR = FULL_AWS_ACCESS
ADMIN_ROLE = f"arn:aws:iam::{ACCOUNT}:role/Administrator"
# A role whose own policy grants every KMS action on every key, and nothing else.
KMS_ADMIN_ROLE = f"arn:aws:iam::{ACCOUNT}:role/KmsAdministrator"
KMS_EVERYTHING = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}
GUARDED_KEY_ACTIONS = ("kms:DisableKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion")
CHANGING_A_COPY = (
    "rds:AddTagsToResource",
    "rds:ModifyDBSnapshot",
    "rds:ModifyDBSnapshotAttribute",
    "rds:RemoveTagsFromResource",
)


@dataclass(frozen=True)
class Verdict:
    account: Result  # the account's policies alone: identity and resource policies
    scp: Result  # the SCP (with FullAWSAccess) alone

    @property
    def scp_denies(self) -> bool:
        return self.scp.decision == "ExplicitlyDenied"

    @property
    def allowed(self) -> bool:
        return self.account.allowed and not self.scp_denies

    def __str__(self) -> str:
        return f"account: {self.account}; SCP: {self.scp}"


@dataclass(frozen=True)
class Ask:
    """Who asks for what, with which of their own policies."""

    ident: str
    principal: str
    action: str
    resource: str
    identity: Sequence[dict[str, Any]] = ()
    context: dict[str, Any] | None = None


@pytest.fixture(scope="module")
def deployed(deployment: Deployment) -> Deployment:
    """The end-to-end test's deployment; run on their own, these tests apply examples/complete themselves
    (once, the same way) and read its policies back."""
    if deployment.policies is None:
        if not deployment.stack.applied:
            deployment.stack.init()
            deployment.stack.apply()
        deployment.outputs = deployment.stack.outputs()
        deployment.policies = read_back_policies(deployment.clients, deployment.outputs)
    return deployment


@pytest.fixture(scope="module")
def scp(deployed: Deployment) -> dict[str, Any]:
    assert "backup_protection_scp_json" in deployed.outputs, (
        f"examples/complete has no backup_protection_scp_json output: {sorted(deployed.outputs)}"
    )
    return json.loads(deployed.outputs["backup_protection_scp_json"])


@pytest.fixture(scope="module")
def names(deployed: Deployment) -> Names:
    return Names.of(deployed.policies, deployed.outputs)


def decide(deployed: Deployment, scp: dict[str, Any], asks: Sequence[Ask]) -> dict[str, Verdict]:
    """Each ask evaluated by the account's policies and by the SCP, in one simulator run."""
    requests: list[Request] = []
    for ask in asks:
        region = ask.resource.split(":")[3] or "us-east-1"
        # aws:PrincipalArn and aws:RequestedRegion are in every request's context in AWS.
        context = {"aws:RequestedRegion": region, "aws:PrincipalArn": ask.principal, **(ask.context or {})}
        common = {"principal": ask.principal, "action": ask.action, "resource": ask.resource, "context": context}
        requests.append(
            Request(
                id=f"account: {ask.ident}",
                identity_policies=ask.identity,
                resource_policy=resource_policy(deployed.policies, ask.resource),
                **common,
            )
        )
        requests.append(Request(id=f"scp: {ask.ident}", identity_policies=(scp, FULL_AWS_ACCESS), **common))
    results = simulate(requests)
    errors = [str(r) for r in results if r.decision == "Error"]
    assert not errors, "the simulator could not evaluate:\n" + "\n".join(errors)
    return {ask.ident: Verdict(results[2 * n], results[2 * n + 1]) for n, ask in enumerate(asks)}


def copy_arn(names: Names, kind: str = "db") -> str:
    resource_type = {"db": "snapshot", "cluster": "cluster-snapshot"}[kind]
    return f"arn:aws:rds:{names.destination}:{ACCOUNT}:{resource_type}:orders-1-0123abcd"


def delete_action(kind: str) -> str:
    return {"db": "rds:DeleteDBSnapshot", "cluster": "rds:DeleteDBClusterSnapshot"}[kind]


def test_the_scp_names_this_deployments_roles_key_and_break_glass(
    deployed: Deployment, scp: dict[str, Any], names: Names
) -> None:
    by_sid = {s["Sid"]: s for s in scp["Statement"]}
    assert set(by_sid) == {"DenyDeletingCopies", "DenyChangingCopies", "DenyDisablingOrDeletingTheKey"}
    assert all(s["Effect"] == "Deny" for s in scp["Statement"])
    roles = deployed.policies.roles
    assert sorted(by_sid["DenyDeletingCopies"]["Condition"]["ArnNotLike"]["aws:PrincipalArn"]) == sorted(
        [roles["pruner"].arn, roles["copier"].arn]
    )
    key = by_sid["DenyDisablingOrDeletingTheKey"]
    assert key["Resource"] == [deployed.policies.key_arn]
    assert key["Condition"]["ArnNotLike"]["aws:PrincipalArn"] == [DEMO_KEY_ADMIN_ARN]
    assert len(deployed.outputs["backup_protection_scp_json"]) <= 5120, "AWS Organizations allows 5,120 characters"


@pytest.mark.parametrize("kind", ["db", "cluster"])
def test_an_administrator_cannot_delete_or_change_a_copy(
    deployed: Deployment, scp: dict[str, Any], names: Names, kind: str
) -> None:
    ours = names.own_copy()
    asks = [Ask("delete", ADMIN_ROLE, delete_action(kind), copy_arn(names, kind), [ADMINISTRATOR], ours)]
    actions = [a for a in CHANGING_A_COPY if kind == "db" or a != "rds:ModifyDBSnapshot"]
    if kind == "cluster":
        actions = [a.replace("ModifyDBSnapshotAttribute", "ModifyDBClusterSnapshotAttribute") for a in actions]
    asks += [Ask(a, ADMIN_ROLE, a, copy_arn(names, kind), [ADMINISTRATOR], ours) for a in actions]
    verdicts = decide(deployed, scp, asks)
    for ident, verdict in verdicts.items():
        # Without the SCP the administrator could: the SCP is what makes the lock hold against them.
        assert verdict.account.allowed, f"{ident}: the administrator's own policy should allow it: {verdict}"
        assert verdict.scp_denies and not verdict.allowed, f"{ident} of a copy: {verdict}"


def test_the_scp_leaves_other_snapshots_to_the_administrator(
    deployed: Deployment, scp: dict[str, Any], names: Names
) -> None:
    cases = {
        "an untagged snapshot": {},
        "another deployment's copy": names.own_copy(**{TAG_DEPLOYMENT: "someone-elses-copies"}),
        "a 0.4.x copy (no identity tag)": names.own_copy(**{TAG_DEPLOYMENT: None}),
    }
    asks = [
        Ask(f"delete {what}", ADMIN_ROLE, "rds:DeleteDBSnapshot", copy_arn(names), [ADMINISTRATOR], tags)
        for what, tags in cases.items()
    ]
    for ident, verdict in decide(deployed, scp, asks).items():
        assert verdict.allowed, f"{ident}: the SCP reaches too far: {verdict}"


def test_an_administrator_cannot_disable_or_delete_the_key(deployed: Deployment, scp: dict[str, Any]) -> None:
    key = deployed.policies.key_arn
    asks = [Ask(a, ADMIN_ROLE, a, key, [ADMINISTRATOR]) for a in GUARDED_KEY_ACTIONS]
    for ident, verdict in decide(deployed, scp, asks).items():
        # Both fences hold on their own: the key policy gives the account no guarded action, and the SCP denies.
        assert not verdict.account.allowed, f"{ident}: the key policy lets an administrator: {verdict}"
        assert verdict.scp_denies, f"{ident}: the SCP does not deny an administrator: {verdict}"


def test_an_administrator_keeps_the_rest_of_the_key(deployed: Deployment, scp: dict[str, Any]) -> None:
    # CancelKeyDeletion and EnableKey undo what the guard keeps from them; the account still manages the rest.
    key = deployed.policies.key_arn
    actions = ["kms:CancelKeyDeletion", "kms:EnableKey", "kms:DescribeKey", "kms:TagResource", "kms:EnableKeyRotation"]
    asks = [Ask(a, ADMIN_ROLE, a, key, [ADMINISTRATOR]) for a in actions]
    for ident, verdict in decide(deployed, scp, asks).items():
        assert verdict.allowed, f"{ident}: {verdict}"


def test_kms_everything_in_a_roles_own_policy_cannot_delete_the_key(deployed: Deployment) -> None:
    # The key policy alone (no SCP): IAM cannot grant what the key policy keeps from the account.
    key = deployed.policies.key_arn
    requests = [
        Request(
            id=f"{KMS_ADMIN_ROLE} {action}",
            principal=KMS_ADMIN_ROLE,
            action=action,
            resource=key,
            context={"aws:RequestedRegion": key.split(":")[3]},
            identity_policies=[KMS_EVERYTHING],
            resource_policy=deployed.policies.key,
        )
        for action in GUARDED_KEY_ACTIONS
    ]
    allowed = [str(r) for r in simulate(requests) if r.decision != "ImplicitlyDenied"]
    assert not allowed, "kms:* in a role's own policy reaches the guarded actions:\n" + "\n".join(allowed)


@pytest.mark.parametrize("identity", [(), (KMS_EVERYTHING,)], ids=["no policy of its own", "kms:* of its own"])
def test_the_break_glass_principal_may_manage_the_key(
    deployed: Deployment, scp: dict[str, Any], identity: tuple[dict[str, Any], ...]
) -> None:
    # The key policy names it (key_admin_principal_arns), so it needs no identity policy in its account.
    key = deployed.policies.key_arn
    asks = [Ask(a, DEMO_KEY_ADMIN_ARN, a, key, identity) for a in GUARDED_KEY_ACTIONS]
    for ident, verdict in decide(deployed, scp, asks).items():
        assert verdict.allowed, f"the break-glass principal {ident}: {verdict}"


def test_the_break_glass_principal_cannot_delete_a_copy(
    deployed: Deployment, scp: dict[str, Any], names: Names
) -> None:
    ask = Ask("delete", DEMO_KEY_ADMIN_ARN, "rds:DeleteDBSnapshot", copy_arn(names), [ADMINISTRATOR], names.own_copy())
    verdict = decide(deployed, scp, [ask])["delete"]
    assert verdict.scp_denies and not verdict.allowed, verdict


@pytest.mark.parametrize("kind", ["db", "cluster"])
@pytest.mark.parametrize("function", ["pruner", "copier"])
def test_the_scp_lets_the_pruner_and_the_copier_delete_this_deployments_copies(
    deployed: Deployment, scp: dict[str, Any], names: Names, function: str, kind: str
) -> None:
    # The pruner its expired copies, the copier its failed ones: only copies with the identity tags.
    role = deployed.policies.roles[function]
    identity = role.identity
    cases = {
        "its own copy": (names.own_copy(), True),
        "an untagged snapshot": ({}, False),
        "another deployment's copy": (names.own_copy(**{TAG_DEPLOYMENT: "someone-elses-copies"}), False),
        "a copy without the source snapshot tag": (names.own_copy(**{TAG_SOURCE_SNAPSHOT_ARN: None}), False),
    }
    asks = [
        Ask(what, role.arn, delete_action(kind), copy_arn(names, kind), identity, tags)
        for what, (tags, _) in cases.items()
    ]
    verdicts = decide(deployed, scp, asks)
    for what, (_, expected) in cases.items():
        assert not verdicts[what].scp_denies, f"the SCP stops the {function} deleting {what}: {verdicts[what]}"
        assert verdicts[what].allowed is expected, f"the {function} deleting {what}: {verdicts[what]}"


def test_the_pruner_cannot_change_a_copy(deployed: Deployment, scp: dict[str, Any], names: Names) -> None:
    role = deployed.policies.roles["pruner"]
    asks = [Ask(a, role.arn, a, copy_arn(names), [FULL_AWS_ACCESS], names.own_copy()) for a in CHANGING_A_COPY]
    for ident, verdict in decide(deployed, scp, asks).items():
        assert verdict.scp_denies, f"the pruner's role, even with more permissions, may {ident}: {verdict}"


def _recorded(deployed: Deployment) -> list[RecordedCall]:
    files = {
        "copier": deployed.recorded_calls_file,
        "pruner": deployed.recorded_pruner_calls_file,
        "reconciler": deployed.recorded_reconciler_calls_file,
    }
    calls = []
    for function, path in files.items():
        found = load_jsonl(path, function, f"tests/e2e/test_end_to_end.py (deployed {function})")
        assert found, f"no calls recorded from the deployed {function}"
        calls += found
    return calls


def test_the_scp_stops_nothing_the_deployed_functions_did(deployed: Deployment, scp: dict[str, Any]) -> None:
    # Every authorization of every call the deployed copier, pruner and reconciler made (tagging a copy as it
    # is made, deleting a failed or expired copy...) passes the SCP: attaching it breaks nothing.
    calls = _recorded(deployed)
    roles = deployed.policies.roles
    requests = []
    for n, call in enumerate(calls):
        principal = roles[call.function].arn
        for m, auth in enumerate(authorizations(call.as_call(), ACCOUNT)):
            context = {"aws:RequestedRegion": call.region, "aws:PrincipalArn": principal, **auth.context}
            requests.append(
                Request(
                    id=f"{n}.{m} {call.function} {call.operation} ({call.where})",
                    principal=principal,
                    action=auth.action,
                    resource=auth.resource,
                    context=context,
                    identity_policies=(scp, FULL_AWS_ACCESS),
                    # A KMS key's own policy must allow its use as well (the deployed key's, as in AWS).
                    resource_policy=deployed.policies.key if auth.action.startswith("kms:") else None,
                )
            )
    assert {c.function for c in calls} == {"copier", "pruner", "reconciler"}
    denied = [str(r) for r in simulate(requests) if r.decision != "Allowed"]
    assert not denied, "the SCP would stop the deployed functions:\n" + "\n".join(denied)
