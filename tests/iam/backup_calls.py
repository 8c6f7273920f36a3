"""The calls the vault copier and the source function made in the tests, as simulation cases against the
deployed backup-account stack (tests/iam/test_backup_account_permissions.py).

The unit tests use their own accounts, regions and names; each call is moved onto the deployment's before it is
judged (the accounts may be swapped: the unit tests' source account can be the deployment's vault). The
deployed functions' calls in the end-to-end test are judged as made. A call made with credentials from
sts:AssumeRole (recording.py's `acting_as`: the source side's clean-up reading the vault) is the assumed role's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from snapshot_copy.tagging import TAG_DEPLOYMENT
from tests.iam.actions import authorizations
from tests.iam.backup_sim import Ask, Caller, Sides, caller_of
from tests.iam.recording import RecordedCall

# The unit tests' regions (tests/unit/harness.py, tests/unit/test_sharing_world.py).
UNIT_SOURCE_REGION, UNIT_DESTINATION_REGION = "us-east-1", "us-west-2"


@dataclass(frozen=True)
class UnitWorld:
    """How one set of unit tests names things: account IDs -> their role in the deployment ("source",
    "vault"; others stay strangers), its deployment names, and the ARN of its keys."""

    accounts: Mapping[str, str]
    deployments: Mapping[str, str]  # unit deployment name -> "source" / "vault"
    # Accounts of vaults the deployment does not have (a second vault): what is asked of them is not judged.
    elsewhere: frozenset[str] = frozenset()
    # Roles the tests themselves assume to act in another account (moto keeps each account's resources apart;
    # a test forwards the function's cross-account SendMessage through one): their calls are the harness's.
    harness_roles: str = r":role/test-\d{12}$"
    # Whether the tests' queue and reader role of the vault account are the vault's (the source side's tests);
    # the copier's own tests have more queues in that account (its dead-letter queue).
    vault_queue_and_reader: bool = False


# H2's tests/unit/test_sharing_world.py (test_sharing_*.py): the source account is moto's default, the first vault
# another.
SHARER_UNIT = UnitWorld(
    accounts={"123456789012": "source", "210987654321": "vault"},
    deployments={"rds-snapshot-share": "source", "rds-snapshot-copy": "vault"},
    elsewhere=frozenset({"310987654321"}),
    vault_queue_and_reader=True,
)
# H1's tests/unit/test_vault_copy.py (harness.py): the vault is moto's default, the source 111111111111.
COPIER_UNIT = UnitWorld(
    accounts={"123456789012": "vault", "111111111111": "source"},
    deployments={"rds-snapshot-copy": "vault"},
)


def _deployed(p: Sides, role: str) -> tuple[str, str]:
    return (p.source_account, p.share_deployment) if role == "source" else (p.vault_account, p.vault_deployment)


def move(call: RecordedCall, p: Sides, world: UnitWorld, function_side: str) -> RecordedCall:
    """A unit test's call as the deployed function would make it; `function_side`: "source" (the source side's
    function) or "vault" (the vault's copier)."""
    text = json.dumps(call.params)
    # Keys: a source-region key of the source account is the share key; a destination key the vault key.
    source_account = next(a for a, r in world.accounts.items() if r == "source")
    vault_account = next(a for a, r in world.accounts.items() if r == "vault")
    key_id = r"key/[A-Za-z0-9-]+"
    text = re.sub(rf"arn:aws:kms:{UNIT_SOURCE_REGION}:{source_account}:{key_id}", "@SHARE_KEY@", text)
    text = re.sub(rf"arn:aws:kms:{UNIT_DESTINATION_REGION}:{vault_account}:{key_id}", "@VAULT_KEY@", text)
    if world.vault_queue_and_reader:  # the vault's queue and reader role, whatever the unit tests named them
        text = re.sub(rf"https?://[^\"]*/{vault_account}/[A-Za-z0-9_-]+", "@VAULT_QUEUE_URL@", text)
        text = re.sub(rf"arn:aws:iam::{vault_account}:role/[A-Za-z0-9_+=,.@-]*reader", "@READER@", text)
    # Accounts through placeholders: the unit tests' source may be the deployment's vault and the other way.
    for account, role in world.accounts.items():
        text = text.replace(account, f"@{role.upper()}@")
    text = text.replace(UNIT_SOURCE_REGION, p.src).replace(UNIT_DESTINATION_REGION, p.dst)
    text = (
        text.replace("@SHARE_KEY@", p.share_key_arn)
        .replace("@VAULT_KEY@", p.vault_key_arn)
        .replace("@VAULT_QUEUE_URL@", str(p.backup_account["queue_url"]))
        .replace("@READER@", p.vault_roles["reader"].arn)
        .replace("@SOURCE@", p.source_account)
        .replace("@VAULT@", p.vault_account)
    )
    params = json.loads(text)
    regions = {UNIT_SOURCE_REGION: p.src, UNIT_DESTINATION_REGION: p.dst}

    own = call.deployment  # the function's DEPLOYMENT_NAME when it made the call

    def identity(name: str) -> str:
        # The calling function's own name (a test may run it as another deployment, to make that deployment's
        # share copy) is the deployed one of its side; the unit tests' other names of the two sides are the
        # deployed ones; any other name stays another deployment's (even one equal to a deployed name).
        side = "source" if function_side == "source" else "vault"
        if own is not None and name == own:
            return _deployed(p, side)[1]
        role = world.deployments.get(name)
        if role and role != side:
            return _deployed(p, role)[1]
        deployed = {_deployed(p, r)[1] for r in ("source", "vault")}
        return f"not-{name}" if name in deployed or role else name

    tags = call.resource_tags
    if tags is not None:
        tags = {k: identity(v) if k == TAG_DEPLOYMENT else v for k, v in tags.items()}
        tags = json.loads(_accounts_and_regions(json.dumps(tags), p, world))
    if isinstance(params.get("Tags"), list):
        params["Tags"] = [
            {**t, "Value": identity(t.get("Value", ""))} if t.get("Key") == TAG_DEPLOYMENT else t
            for t in params["Tags"]
        ]
    acting_as = call.acting_as
    reader = world.vault_queue_and_reader and acting_as is not None and acting_as.endswith("reader")
    if reader and f":{vault_account}:" in str(acting_as):
        acting_as = p.vault_roles["reader"].arn
    return replace(
        call, region=regions.get(call.region, call.region), params=params, resource_tags=tags, acting_as=acting_as
    )


def _accounts_and_regions(text: str, p: Sides, world: UnitWorld) -> str:
    for account, role in world.accounts.items():
        text = text.replace(account, f"@{role.upper()}@")
    text = text.replace(UNIT_SOURCE_REGION, p.src).replace(UNIT_DESTINATION_REGION, p.dst)
    return text.replace("@SOURCE@", p.source_account).replace("@VAULT@", p.vault_account)


def caller_for(p: Sides, call: RecordedCall, function: str) -> Caller:
    """The role that made the call: the assumed one, else the function's."""
    if call.acting_as == p.vault_roles["reader"].arn:
        return caller_of(p, "reader")
    if call.acting_as is not None:
        raise AssertionError(f"{call.operation} ({call.where}) made as {call.acting_as}, not a deployed role")
    return caller_of(p, function)


def asks(p: Sides, calls: list[RecordedCall], function: str, world: UnitWorld | None = None) -> list[Ask]:
    """The authorizations of each call, as cases for the role that made it. An RDS resource of the source
    account asked for by a vault role is a snapshot shared with the vault (backup_sim.shared_with); a copy of
    a share copy reads it under the share key (RDS's grant on the source snapshot's key, asked for by the
    caller: actions._kms_through_rds)."""
    world = world or UnitWorld(accounts={}, deployments={}, harness_roles=r"(?!)")
    elsewhere = world.elsewhere
    out: list[Ask] = []
    for n, call in enumerate(calls):
        if call.acting_as and (
            call.acting_as.split(":")[4] in elsewhere or re.search(world.harness_roles, call.acting_as)
        ):
            continue  # a vault the deployment does not have, or the tests' own way into another account
        caller = caller_for(p, call, function)
        recorded: dict[str, Any] = call.as_call()
        source_id = str(
            call.params.get("SourceDBSnapshotIdentifier") or call.params.get("SourceDBClusterSnapshotIdentifier") or ""
        )
        shared_source = f"arn:aws:rds:{p.src}:{p.source_account}:"
        if caller.account == p.vault_account and source_id.startswith(shared_source) and ":share-" in source_id:
            recorded["source_kms_key_arn"] = p.share_key_arn
        for m, auth in enumerate(authorizations(recorded, caller.account)):
            if auth.resource.split(":")[4:5] and auth.resource.split(":")[4] in elsewhere:
                continue
            shared = (
                auth.action.startswith("rds:")
                and caller.account != p.source_account
                and auth.resource.split(":")[4:5] == [p.source_account]
            )
            out.append(
                Ask(
                    f"{n}.{m} {call.operation} as {caller.arn.rsplit('/', 1)[1]} ({call.where})",
                    caller,
                    auth.action,
                    auth.resource,
                    call.region,
                    dict(auth.context),
                    shared_to=caller.account if shared else None,
                )
            )
    return out
