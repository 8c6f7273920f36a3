"""Simulation requests across the two accounts of backup-account mode (tests/iam/test_backup_account_permissions.py).

AWS decides a cross-account request on two documents: the caller's identity policy (its account) AND the
resource's policy (the owner's account: a key policy, a queue policy, a role's trust policy). `ask` picks the
resource's deployed policy by the resource's ARN, and puts in the request context what AWS puts there about
the caller (aws:PrincipalArn, aws:PrincipalAccount, aws:RequestedRegion), which the simulator does not derive.

RDS snapshots have no resource policy: a snapshot is shared through its `restore` attribute. Modelled here as
the resource policy `shared_with(account)` grants (copy, describe, restore by that account), an assumption
(RDS user guide, "Sharing a DB snapshot": an account a manual snapshot is shared with can copy it or restore
from it); everything else about the call is still the caller's identity policy's to allow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rds_snapshot_copy.demo.readback import RolePolicies
from tests.iam.simulator import Request, Result, simulate

ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "AdministratorAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}],
}
# What the account a snapshot is shared with may do with it (the restore attribute), as a resource policy.
SHARED_SNAPSHOT_ACTIONS = [
    "rds:CopyDBSnapshot",
    "rds:CopyDBClusterSnapshot",
    "rds:DescribeDBSnapshots",
    "rds:DescribeDBClusterSnapshots",
    "rds:RestoreDBInstanceFromDBSnapshot",
    "rds:RestoreDBClusterFromSnapshot",
]


def shared_with(account: str, snapshot_arn: str) -> dict[str, Any]:
    """A snapshot's restore attribute naming `account`, as the resource policy it amounts to."""
    partition = snapshot_arn.split(":")[1]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RestoreAttribute",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                "Action": SHARED_SNAPSHOT_ACTIONS,
                "Resource": snapshot_arn,
            }
        ],
    }


@dataclass(frozen=True)
class Caller:
    """Who asks: a role ARN and its identity policies (a deployed role's, or an attacker's)."""

    arn: str
    identity: Sequence[Mapping[str, Any]] = ()
    org_id: str | None = None

    @property
    def account(self) -> str:
        return self.arn.split(":")[4]


@dataclass(frozen=True)
class Ask:
    """One case: `caller` asks for `action` on `resource` in `region` with `context`; `shared_to` models the
    snapshot as shared with that account (see shared_with)."""

    reason: str
    caller: Caller
    action: str
    resource: str
    region: str
    context: Mapping[str, Any] = field(default_factory=dict)
    shared_to: str | None = None


@dataclass(frozen=True)
class Sides:
    """Both accounts' deployed policies (the e2e's read-back, src/rds_snapshot_copy/demo/backup_readback.py) with
    the names the cases need: the vault's roles by function ("copier", "pruner", "reconciler", "reader"), the
    source side's role ("share"), the keys, the vault's queues and both deployments' names."""

    policies: Any  # BackupPolicies (the e2e fixture's)
    backup_account: Mapping[str, Any]  # the vault's backup_account output

    @property
    def vault_account(self) -> str:
        return str(self.policies.vault_account_id)

    @property
    def source_account(self) -> str:
        return str(self.policies.source_account_id)

    @property
    def src(self) -> str:
        return str(self.policies.source_region)

    @property
    def dst(self) -> str:
        return str(self.policies.destination_region)

    @property
    def vault_roles(self) -> dict[str, RolePolicies]:
        return {**self.policies.vault.roles, "reader": self.policies.vault_reader}

    @property
    def share_role(self) -> RolePolicies:
        return self.policies.source.role

    @property
    def vault_key_arn(self) -> str:
        return str(self.policies.vault.key_arn)

    @property
    def vault_key(self) -> dict[str, Any]:
        return self.policies.vault.key

    @property
    def vault_queues(self) -> dict[str, dict[str, Any]]:
        return self.policies.vault.queues

    @property
    def vault_queue_arn(self) -> str:
        return str(self.policies.vault.queue_arn)

    @property
    def vault_dead_letter_queue_arn(self) -> str:
        return str(self.policies.vault.dead_letter_queue_arn)

    @property
    def share_key_arn(self) -> str:
        return str(self.policies.source.share_key_arn)

    @property
    def share_key(self) -> dict[str, Any]:
        return self.policies.source.share_key

    @property
    def vault_deployment(self) -> str:
        return str(self.backup_account["deployment_name"])

    @property
    def share_role_name(self) -> str:
        return self.share_role.arn.rsplit("/", 1)[1]

    @property
    def share_deployment(self) -> str:
        """The source module's name: its role is "<name>-<source region>" (design of issue 17)."""
        suffix = f"-{self.src}"
        assert self.share_role_name.endswith(suffix), (self.share_role_name, suffix)
        return self.share_role_name[: -len(suffix)]


def caller_of(p: Sides, role: str) -> Caller:
    """A deployed role as the caller: "share" (the source side), or one of the vault's roles."""
    policies = p.share_role if role == "share" else p.vault_roles[role]
    return Caller(policies.arn, policies.identity)


def resource_policy(p: Sides, ask: Ask) -> dict[str, Any] | None:
    """The resource's policy in its owner's account; None when it has none (a queue without a policy reads
    back as {}), so that only the caller's identity policy can allow, and only in its own account."""
    found = _resource_policy(p, ask)
    return found if found else None


def _resource_policy(p: Sides, ask: Ask) -> dict[str, Any] | None:
    resource = ask.resource
    if ask.shared_to is not None:
        return shared_with(ask.shared_to, resource)
    if resource == p.vault_key_arn:
        return p.vault_key
    if resource == p.share_key_arn:
        return p.share_key
    if resource in p.vault_queues:
        return p.vault_queues[resource]
    if ask.action == "sts:AssumeRole":
        roles = [*p.vault_roles.values(), p.share_role]
        return next((r.trust for r in roles if r.arn == resource), None)
    return None


def request(p: Sides, ask: Ask, ident: str | None = None) -> Request:
    context: dict[str, Any] = {
        "aws:RequestedRegion": ask.region,
        "aws:PrincipalArn": ask.caller.arn,
        "aws:PrincipalAccount": ask.caller.account,
    }
    if ask.caller.org_id:
        context["aws:PrincipalOrgID"] = ask.caller.org_id
    context.update(ask.context)
    return Request(
        id=ident or ask.reason,
        principal=ask.caller.arn,
        action=ask.action,
        resource=ask.resource,
        context=context,
        identity_policies=list(ask.caller.identity),
        resource_policy=resource_policy(p, ask),
    )


def judge(p: Sides, asks: Iterable[Ask]) -> list[tuple[Ask, Result]]:
    asks = list(asks)
    requests = [request(p, a, f"{n} {a.reason}") for n, a in enumerate(asks)]
    return list(zip(asks, simulate(requests), strict=True))


def errors(results: Iterable[tuple[Ask, Result]]) -> list[str]:
    return [f"{a.reason}: {r}" for a, r in results if r.decision == "Error"]
