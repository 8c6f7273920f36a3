"""The pruner's role, proven: every call it made (its unit tests', and the deployed pruner's in the end-to-end
test) is allowed by the role Terraform deployed, and it deletes nothing but this deployment's copies.

Issue 15: the delete is conditioned on the identity tag too (snapshot_copy_deployment = the module's name),
with the source_region and source_snapshot_arn tags: an untagged snapshot, a 0.4.x copy (no identity: adopt it
first), another deployment's copy and a copy whose identity only resembles the name (another case, a suffix, a
prefix, a list...) are refused; its own copies are not. Same method as the copier's proof
(test_permissions.py): recorded calls -> actions.py -> simulator, against the read-back policies.
"""

from __future__ import annotations

from typing import Any

import pytest

from snapshot_copy.tagging import TAG_DEPLOYMENT, TAG_SOURCE_REGION
from tests.conftest import Deployment
from tests.iam.actions import Authorization, authorizations
from tests.iam.recording import RECORDER, load_jsonl
from tests.iam.simulator import Request, simulate
from tests.iam.test_permissions import ACCOUNT, THIRD_REGION, Names, evaluate, request

pytestmark = [pytest.mark.iam_simulation, pytest.mark.e2e]


@pytest.fixture(scope="module")
def deployed(deployment: Deployment) -> Deployment:
    assert deployment.policies is not None, (
        "the end-to-end test did not get as far as reading the deployed policies back: see its failure"
    )
    return deployment


def test_every_call_the_pruner_made_is_allowed(deployed: Deployment) -> None:
    policies = deployed.policies
    assert "pruner" in policies.roles, "the deployment has no pruner (prune_function_name output)"
    names = Names.of(policies, deployed.outputs)
    unit = [names.move(c) for c in RECORDER.of("pruner")]
    e2e = load_jsonl(deployed.recorded_pruner_calls_file, "pruner", "tests/e2e/test_end_to_end.py (deployed pruner)")
    assert unit, "no calls recorded from the pruner's unit tests"
    assert e2e, "no calls recorded from the deployed pruner"
    calls = unit + e2e
    requests = [
        request(policies, f"{n}.{m} {c.operation} ({c.where})", auth, c.region, function="pruner")
        for n, c in enumerate(calls)
        for m, auth in enumerate(authorizations(c.as_call(), ACCOUNT))
    ]
    denied = [str(result) for _, result in evaluate(requests) if not result.allowed]
    assert not denied, "the pruner's role would be refused in AWS:\n" + "\n".join(denied)
    operations = {c.operation for c in calls}
    assert {
        "DescribeDBSnapshots",
        "DescribeDBClusterSnapshots",
        "DeleteDBSnapshot",
        "DeleteDBClusterSnapshot",
    } <= operations
    assert operations & {"ListServiceQuotas", "ListAWSDefaultServiceQuotas"}, sorted(operations)


def test_the_pruner_is_denied_what_it_must_never_do(deployed: Deployment) -> None:
    p = deployed.policies
    n = Names.of(p, deployed.outputs)
    src, dst = n.source, n.destination
    ours = n.own_copy()
    copy_arn = f"arn:aws:rds:{dst}:{ACCOUNT}:snapshot:orders-1-0123abcd"
    cluster_copy_arn = f"arn:aws:rds:{dst}:{ACCOUNT}:cluster-snapshot:x"

    def pruner(reason: str, action: str, resource: str, region: str, **context: Any) -> tuple[str, Request]:
        return reason, request(p, reason, Authorization(action, resource, context), region, function="pruner")

    cases = [
        pruner("delete an untagged snapshot", "rds:DeleteDBSnapshot", copy_arn, dst),
        pruner(
            "delete a copy of another source region's deployment",
            "rds:DeleteDBSnapshot",
            copy_arn,
            dst,
            **n.own_copy(**{TAG_SOURCE_REGION: THIRD_REGION}),
        ),
        pruner(
            "delete a 0.4.x copy (no deployment tag: adopt it first)",
            "rds:DeleteDBSnapshot",
            copy_arn,
            dst,
            **n.own_copy(**{TAG_DEPLOYMENT: None}),
        ),
        *[
            pruner(
                f"delete a {kind} copy tagged with {what}",
                action,
                arn,
                dst,
                **n.own_copy(**{TAG_DEPLOYMENT: value}),
            )
            for what, value in n.forged_identities().items()
            for kind, action, arn in (
                ("DB", "rds:DeleteDBSnapshot", copy_arn),
                ("cluster", "rds:DeleteDBClusterSnapshot", cluster_copy_arn),
            )
        ],
        pruner(
            "delete a snapshot tagged only with the source region",
            "rds:DeleteDBClusterSnapshot",
            f"arn:aws:rds:{dst}:{ACCOUNT}:cluster-snapshot:x",
            dst,
            **{"aws:ResourceTag/source_region": src},
        ),
        pruner(
            "delete in the source region",
            "rds:DeleteDBSnapshot",
            f"arn:aws:rds:{src}:{ACCOUNT}:snapshot:x",
            src,
            **ours,
        ),
        pruner("copy a snapshot", "rds:CopyDBSnapshot", copy_arn, dst),
        pruner(
            "copy a cluster snapshot",
            "rds:CopyDBClusterSnapshot",
            cluster_copy_arn,
            dst,
        ),
        pruner("delete a database", "rds:DeleteDBInstance", f"arn:aws:rds:{dst}:{ACCOUNT}:db:x", dst),
        pruner("list snapshots in the source region", "rds:DescribeDBSnapshots", "*", src),
        pruner("use the key", "kms:CreateGrant", p.key_arn, dst, **{"kms:ViaService": f"rds.{dst}.amazonaws.com"}),
        pruner("send to the copier's queue", "sqs:SendMessage", p.queue_arn, src),
    ]
    # The same deletes, made right, pass: the list cannot be denied for a reason that has nothing to do
    # with it.
    right = [
        pruner("delete this deployment's expired copy", "rds:DeleteDBSnapshot", copy_arn, dst, **ours)[1],
        pruner(
            "delete this deployment's expired cluster copy",
            "rds:DeleteDBClusterSnapshot",
            cluster_copy_arn,
            dst,
            **ours,
        )[1],
    ]
    results = simulate([r for _, r in cases] + right)
    errors = [
        f"{reason}: {result}" for (reason, _), result in zip(cases, results, strict=False) if result.decision == "Error"
    ]
    assert not errors, "the simulator could not evaluate:\n" + "\n".join(errors)
    wrong = [f"{reason}: {result}" for (reason, _), result in zip(cases, results, strict=False) if result.allowed]
    assert not wrong, "must be denied, but is not:\n" + "\n".join(wrong)
    assert all(r.allowed for r in results[len(cases) :]), [str(r) for r in results[len(cases) :]]
