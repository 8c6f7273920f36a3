"""The IAM simulation harness can both fail and succeed: each verdict it can give is shown on a known case.

Why: a harness that only ever answers "Allowed" (or errors swallowed as denials) would prove nothing about
the module's policies. These cases pin what the library decides and what the wrapper rejects as an Error.
No skip: without node or node_modules every test here fails with the `npm ci` command that fixes it.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from . import simulator as sim
from .actions import UnmappedOperation, authorizations
from .simulator import Request, Result, SimulatorUnavailable, simulate

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
SOURCE = "eu-west-1"
DESTINATION = "eu-central-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/snapcopy-copier"
SNAPSHOT = f"arn:aws:rds:{SOURCE}:{ACCOUNT}:snapshot:db1-2024-01-01"
KEY = f"arn:aws:kms:{DESTINATION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
QUEUE = f"arn:aws:sqs:{SOURCE}:{ACCOUNT}:snapcopy-events"
RULE = f"arn:aws:events:{SOURCE}:{ACCOUNT}:rule/snapcopy"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


COPY_ALLOWED = policy(
    {
        "Sid": "Copy",
        "Effect": "Allow",
        "Action": "rds:CopyDBSnapshot",
        "Resource": f"arn:aws:rds:{SOURCE}:{ACCOUNT}:snapshot:*",
    }
)
# As in sqs.tf: only this rule may send.
QUEUE_POLICY = policy(
    {
        "Sid": "EventBridgeRuleSendMessage",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": QUEUE,
        "Condition": {"ArnEquals": {"aws:SourceArn": RULE}},
    }
)
# As in kms.tf: the account administers; the role may only have RDS create a grant.
KEY_POLICY = policy(
    {
        "Sid": "AccountAdministration",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "kms:*",
        "Resource": "*",
    },
    {
        "Sid": "CopierCreateGrantThroughRds",
        "Effect": "Allow",
        "Principal": {"AWS": ROLE},
        "Action": "kms:CreateGrant",
        "Resource": "*",
        "Condition": {
            "StringEquals": {"kms:ViaService": f"rds.{DESTINATION}.amazonaws.com"},
            "Bool": {"kms:GrantIsForAWSResource": "true"},
        },
    },
)


def one(request: Request) -> Result:
    [result] = simulate([request])
    return result


def test_simulator_is_installed() -> None:
    """Fails (never skips) with the install command when node or node_modules is missing."""
    sim.node_executable()


def test_missing_node_modules_is_a_failure_with_the_npm_ci_hint(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setattr(sim, "LIBRARY_MARKER", tmp_path / "absent" / "package.json")
    with pytest.raises(SimulatorUnavailable, match=r"npm ci --prefix tests/iam/simulator"):
        simulate([Request("r", ROLE, "rds:CopyDBSnapshot", SNAPSHOT)])


def test_missing_node_is_a_failure_with_the_npm_ci_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sim.shutil, "which", lambda name: None)
    with pytest.raises(SimulatorUnavailable, match=r"npm ci --prefix tests/iam/simulator"):
        simulate([Request("r", ROLE, "rds:CopyDBSnapshot", SNAPSHOT)])


def test_allowed() -> None:
    result = one(Request("allowed", ROLE, "rds:CopyDBSnapshot", SNAPSHOT, identity_policies=[COPY_ALLOWED]))
    assert result.decision == "Allowed", result
    assert "#Copy" in result.explanation


def test_implicitly_denied_outside_the_policys_resources() -> None:
    elsewhere = SNAPSHOT.replace(SOURCE, "us-east-1")
    result = one(Request("implicit", ROLE, "rds:CopyDBSnapshot", elsewhere, identity_policies=[COPY_ALLOWED]))
    assert result.decision == "ImplicitlyDenied", result
    assert not result.errors


def test_explicit_deny_wins_over_allow() -> None:
    deny = policy({"Sid": "NoCopies", "Effect": "Deny", "Action": "rds:Copy*", "Resource": "*"})
    result = one(Request("explicit", ROLE, "rds:CopyDBSnapshot", SNAPSHOT, identity_policies=[COPY_ALLOWED, deny]))
    assert result.decision == "ExplicitlyDenied", result
    assert "NoCopies" in result.explanation


def test_service_principal_allowed_by_the_resource_policy_only_for_its_rule() -> None:
    def send(id: str, source_arn: str, resource_policy: dict[str, Any] | None = QUEUE_POLICY) -> Request:
        return Request(
            id,
            "events.amazonaws.com",
            "sqs:SendMessage",
            QUEUE,
            context={"aws:SourceArn": source_arn, "aws:SourceAccount": ACCOUNT},
            resource_policy=resource_policy,
            resource_account=ACCOUNT,
        )

    results = simulate(
        [
            send("rule", RULE),
            send("other-rule", f"arn:aws:events:{SOURCE}:{ACCOUNT}:rule/someone-else"),
            send("no-queue-policy", RULE, None),
        ]
    )
    assert [r.decision for r in results] == ["Allowed", "ImplicitlyDenied", "ImplicitlyDenied"], results
    assert "EventBridgeRuleSendMessage" in results[0].explanation


def test_service_principal_ignores_identity_policies() -> None:
    allow_all = policy({"Effect": "Allow", "Action": "sqs:*", "Resource": "*"})
    result = one(Request("identity", "events.amazonaws.com", "sqs:SendMessage", QUEUE, identity_policies=[allow_all]))
    assert result.decision == "ImplicitlyDenied", result


@pytest.mark.parametrize(
    ("context", "decision"),
    [
        ({"kms:ViaService": f"rds.{DESTINATION}.amazonaws.com", "kms:GrantIsForAWSResource": "true"}, "Allowed"),
        ({"kms:ViaService": f"rds.{SOURCE}.amazonaws.com", "kms:GrantIsForAWSResource": "true"}, "ImplicitlyDenied"),
        (
            {"kms:ViaService": f"ec2.{DESTINATION}.amazonaws.com", "kms:GrantIsForAWSResource": "true"},
            "ImplicitlyDenied",
        ),
        (
            {"kms:ViaService": f"rds.{DESTINATION}.amazonaws.com", "kms:GrantIsForAWSResource": "false"},
            "ImplicitlyDenied",
        ),
        ({"kms:ViaService": f"rds.{DESTINATION}.amazonaws.com"}, "ImplicitlyDenied"),
        ({}, "ImplicitlyDenied"),
    ],
    ids=["via-rds-here", "via-rds-other-region", "via-ec2", "not-for-aws-resource", "no-grant-flag", "direct"],
)
def test_kms_create_grant_only_through_rds_in_the_keys_region(context: dict[str, str], decision: str) -> None:
    result = one(Request("grant", ROLE, "kms:CreateGrant", KEY, context=context, resource_policy=KEY_POLICY))
    assert result.decision == decision, result


def test_kms_identity_policy_needs_a_key_policy_that_delegates_to_iam() -> None:
    identity = policy({"Effect": "Allow", "Action": "kms:DescribeKey", "Resource": KEY})
    only_role = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"},
            "Action": "kms:*",
            "Resource": "*",
        }
    )
    results = simulate(
        [
            Request(
                "delegates", ROLE, "kms:DescribeKey", KEY, identity_policies=[identity], resource_policy=KEY_POLICY
            ),
            Request(
                "no-delegation", ROLE, "kms:DescribeKey", KEY, identity_policies=[identity], resource_policy=only_role
            ),
            Request("no-key-policy", ROLE, "kms:DescribeKey", KEY, identity_policies=[identity]),
        ]
    )
    assert [r.decision for r in results] == ["Allowed", "ImplicitlyDenied", "ImplicitlyDenied"], results


def test_cross_account_needs_both_identity_and_resource_policy() -> None:
    other_queue = QUEUE.replace(ACCOUNT, OTHER_ACCOUNT)
    identity = policy({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": other_queue})
    queue_policy = policy(
        {"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "sqs:SendMessage", "Resource": other_queue}
    )
    results = simulate(
        [
            Request("identity-only", ROLE, "sqs:SendMessage", other_queue, identity_policies=[identity]),
            Request(
                "both", ROLE, "sqs:SendMessage", other_queue, identity_policies=[identity], resource_policy=queue_policy
            ),
        ]
    )
    assert [r.decision for r in results] == ["ImplicitlyDenied", "Allowed"], results


def test_same_account_resource_policy_alone_allows() -> None:
    queue_policy = policy(
        {"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "sqs:SendMessage", "Resource": QUEUE}
    )
    assert one(Request("rp", ROLE, "sqs:SendMessage", QUEUE, resource_policy=queue_policy)).decision == "Allowed"


def test_star_resource_is_matched_literally_unless_asked_otherwise() -> None:
    """A list call authorized against "*" is not allowed by a policy naming only snapshot ARNs."""
    narrow = policy(
        {"Effect": "Allow", "Action": "rds:DescribeDBSnapshots", "Resource": f"arn:aws:rds:*:{ACCOUNT}:snapshot:*"}
    )
    wide = policy({"Effect": "Allow", "Action": "rds:DescribeDBSnapshots", "Resource": "*"})
    results = simulate(
        [
            Request("narrow", ROLE, "rds:DescribeDBSnapshots", "*", identity_policies=[narrow]),
            Request("wide", ROLE, "rds:DescribeDBSnapshots", "*", identity_policies=[wide]),
            Request(
                "narrow-overlap",
                ROLE,
                "rds:DescribeDBSnapshots",
                "*",
                identity_policies=[narrow],
                wildcard_resource="overlap",
            ),
        ]
    )
    assert [r.decision for r in results] == ["ImplicitlyDenied", "Allowed", "Allowed"], results


def test_unknown_action_is_an_error() -> None:
    result = one(Request("unknown", ROLE, "rds:CopyDbSnapshotz", SNAPSHOT, identity_policies=[COPY_ALLOWED]))
    assert result.decision == "Error"
    assert any("invalid.action" in e for e in result.errors), result


def test_unknown_service_is_an_error() -> None:
    result = one(Request("unknown-service", ROLE, "rdss:CopyDBSnapshot", SNAPSHOT))
    assert result.decision == "Error"
    assert any("invalid.service" in e for e in result.errors), result


def test_wrong_resource_type_is_an_error() -> None:
    cluster_snapshot = f"arn:aws:rds:{SOURCE}:{ACCOUNT}:cluster-snapshot:c1"
    result = one(Request("wrong-type", ROLE, "rds:CopyDBSnapshot", cluster_snapshot, identity_policies=[COPY_ALLOWED]))
    assert result.decision == "Error"
    assert any("no.resource.types" in e for e in result.errors), result


def test_option_group_is_no_resource_of_copy_db_snapshot() -> None:
    """The SAR data lists only snapshot* for rds:CopyDBSnapshot; if it gains og, revisit actions.py."""
    og = f"arn:aws:rds:{DESTINATION}:{ACCOUNT}:og:oracle-tde"
    result = one(Request("og", ROLE, "rds:CopyDBSnapshot", og))
    assert result.decision == "Error" and any("no.resource.types" in e for e in result.errors), result


def test_specific_resource_for_a_wildcard_only_action_is_an_error() -> None:
    result = one(
        Request(
            "wildcard-only",
            ROLE,
            "servicequotas:GetAWSDefaultServiceQuota",
            f"arn:aws:servicequotas:{SOURCE}:{ACCOUNT}:rds/L-1",
        )
    )
    assert result.decision == "Error"
    assert any("must.use.wildcard" in e for e in result.errors), result


def test_unsupported_context_key_is_an_error() -> None:
    result = one(
        Request(
            "ctx", ROLE, "rds:DeleteDBSnapshot", SNAPSHOT, context={"kms:ViaService": f"rds.{SOURCE}.amazonaws.com"}
        )
    )
    assert result.decision == "Error"
    assert any("context.key.not.supported: kms:ViaService" in e for e in result.errors), result


def test_arn_pattern_as_request_resource_is_an_error() -> None:
    result = one(Request("pattern", ROLE, "rds:CopyDBSnapshot", f"arn:aws:rds:{SOURCE}:{ACCOUNT}:snapshot:*"))
    assert result.decision == "Error", result


def test_invalid_policy_is_an_error() -> None:
    bad = policy({"Effect": "Allow", "Principal": "*", "Action": "rds:CopyDBSnapshot", "Resource": "*"})
    result = one(Request("bad-policy", ROLE, "rds:CopyDBSnapshot", SNAPSHOT, identity_policies=[bad]))
    assert result.decision == "Error"
    assert any("Principal is not allowed" in e for e in result.errors), result


def test_unmapped_operation_raises_naming_it() -> None:
    call = {"service": "rds", "operation": "ModifyDBSnapshot", "region": SOURCE, "params": {}}
    with pytest.raises(UnmappedOperation, match=r"rds:ModifyDBSnapshot") as raised:
        authorizations(call, ACCOUNT)
    assert (raised.value.service, raised.value.operation) == ("rds", "ModifyDBSnapshot")


def test_a_batch_of_200_runs_in_one_process_quickly() -> None:
    requests = [
        Request(f"r{i}", ROLE, "rds:CopyDBSnapshot", f"{SNAPSHOT}-{i}", identity_policies=[COPY_ALLOWED])
        for i in range(200)
    ]
    started = time.monotonic()
    results = simulate(requests)
    elapsed = time.monotonic() - started
    assert all(r.allowed for r in results)
    assert elapsed < 30, f"200 requests took {elapsed:.1f}s"
