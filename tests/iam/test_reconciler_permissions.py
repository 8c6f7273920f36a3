"""The reconciler's role, proven: every call it made (its unit tests', and the deployed package's in the
end-to-end test) is allowed by the role Terraform deployed; what it must never do is denied, and the same
requests made right pass (so the denials are for the reason named).

Issue 10: "Allowed: read in both regions, send to the copier's queue. Must be denied: copy, delete, use a key."
The role also reads and writes the copy requests table (copy_requests.tf) and, with drill_max_age_days (the demo
sets it: demo/stack.py), reads the drills' metric back in the destination region. Same method as the copier's and the
pruner's proofs (test_permissions.py): recorded calls -> actions.py -> simulator, against the read-back policies.
"""

from __future__ import annotations

from typing import Any

import pytest

from rds_snapshot_copy.demo.stack import DEMO_SOURCE_FILTER
from tests.conftest import Deployment
from tests.iam.actions import Authorization, authorizations
from tests.iam.recording import RECORDER, RecordedCall, load_jsonl
from tests.iam.simulator import Request, simulate
from tests.iam.test_permissions import ACCOUNT, THIRD_REGION, Names, evaluate, request

pytestmark = [pytest.mark.iam_simulation, pytest.mark.e2e]


@pytest.fixture(scope="module")
def deployed(deployment: Deployment) -> Deployment:
    assert deployment.policies is not None, (
        "the end-to-end test did not get as far as reading the deployed policies back: see its failure"
    )
    assert "reconciler" in deployment.policies.roles, "the deployment has no reconciler (reconcile_function_name)"
    assert deployment.policies.copy_requests_table_arn, "the deployment has no copy requests table"
    return deployment


def recorded_reconciler_calls(deployed: Deployment) -> tuple[list[RecordedCall], list[RecordedCall]]:
    names = Names.of(deployed.policies, deployed.outputs)
    unit = [names.move(c) for c in RECORDER.of("reconciler")]
    e2e = load_jsonl(
        deployed.recorded_reconciler_calls_file, "reconciler", "tests/e2e/test_end_to_end.py (deployed reconciler)"
    )
    return unit, e2e


def test_every_call_the_reconciler_made_is_allowed(deployed: Deployment) -> None:
    p = deployed.policies
    unit, e2e = recorded_reconciler_calls(deployed)
    assert unit, "no calls recorded from the reconciler's unit tests: is tests/unit in this run?"
    assert e2e, "no calls recorded from the deployed reconciler"
    calls = unit + e2e
    requests = [
        request(p, f"{n}.{m} {c.operation} ({c.where})", auth, c.region, function="reconciler")
        for n, c in enumerate(calls)
        for m, auth in enumerate(authorizations(c.as_call(), ACCOUNT))
    ]
    results = evaluate(requests)
    denied = [str(result) for _, result in results if not result.allowed]
    assert not denied, "the reconciler's role would be refused in AWS:\n" + "\n".join(denied)
    # What the proof covers: the four steps (list sources and snapshots, list copies, look up and record the
    # requests, enqueue), in the unit tests and in the deployed package alike.
    covered = {
        "DescribeDBSnapshots",
        "DescribeDBClusterSnapshots",
        "BatchGetItem",
        "BatchWriteItem",
        "SendMessageBatch",
    }
    for where, made in (("unit tests", unit), ("deployed reconciler", e2e)):
        operations = {c.operation for c in made}
        assert covered <= operations, f"{where}: {sorted(operations)}"
    # The drill check (drill_max_age_days, which the demo's deployment sets): its read of the drills' metric
    # was made, in the unit tests and by the deployed package, and only in the destination region.
    names = Names.of(p, deployed.outputs)
    statements = [s.get("Sid") for doc in p.roles["reconciler"].identity for s in doc["Statement"]]
    assert "ReadLastDrill" in statements, "the deployment does not set drill_max_age_days: the check is unproven"
    for where, made in (("unit tests", unit), ("deployed reconciler", e2e)):
        reads = [c for c in made if c.operation == "GetMetricData"]
        assert reads, f"{where}: no GetMetricData (the drill check) recorded"
        assert {c.region for c in reads} == {names.destination}, where
    # Both regions were read, and the table and the queue named are the deployment's.
    assert {c.region for c in calls if c.service == "rds"} == {names.source, names.destination}
    resources = {r.resource for r, _ in results}
    assert p.copy_requests_table_arn in resources
    assert p.queue_arn in resources


def reconciler_cases(deployed: Deployment) -> tuple[list[tuple[str, Request]], list[tuple[str, Request]]]:
    """(must be denied, the allowed counterparts) for the reconciler's role."""
    p = deployed.policies
    n = Names.of(p, deployed.outputs)
    src, dst = n.source, n.destination
    table = p.copy_requests_table_arn
    other_table = table.rsplit("/", 1)[0] + "/someone-elses-table"
    other_queue = p.queue_arn.rsplit(":", 1)[0] + ":someone-elses-queue"
    copy_arn = f"arn:aws:rds:{dst}:{ACCOUNT}:snapshot:orders-db-manual-1-0123abcd"
    cluster_copy_arn = f"arn:aws:rds:{dst}:{ACCOUNT}:cluster-snapshot:ledger-aurora-manual-1-0123abcd"
    source_arn = f"arn:aws:rds:{src}:{ACCOUNT}:snapshot:orders-db-manual-1"
    source_cluster_arn = f"arn:aws:rds:{src}:{ACCOUNT}:cluster-snapshot:ledger-aurora-manual-1"
    ours = {"aws:RequestTag/source_region": src, "aws:TagKeys": ["source_region"]}
    via_rds = {"kms:ViaService": f"rds.{dst}.amazonaws.com", "kms:CallerAccount": ACCOUNT}

    def case(reason: str, action: str, resource: str, region: str, **context: Any) -> tuple[str, Request]:
        return reason, request(p, reason, Authorization(action, resource, context), region, function="reconciler")

    deny = [
        case("copy a snapshot (source side)", "rds:CopyDBSnapshot", source_arn, dst, **ours),
        case("copy a snapshot (target side)", "rds:CopyDBSnapshot", copy_arn, dst, **ours),
        case("copy a cluster snapshot (source side)", "rds:CopyDBClusterSnapshot", source_cluster_arn, dst, **ours),
        case("copy a cluster snapshot (target side)", "rds:CopyDBClusterSnapshot", cluster_copy_arn, dst, **ours),
        case("delete a copy", "rds:DeleteDBSnapshot", copy_arn, dst),
        case("delete a cluster copy", "rds:DeleteDBClusterSnapshot", cluster_copy_arn, dst),
        case("delete a source snapshot", "rds:DeleteDBSnapshot", source_arn, src),
        case("delete a source cluster snapshot", "rds:DeleteDBClusterSnapshot", source_cluster_arn, src),
        case("tag a copy", "rds:AddTagsToResource", copy_arn, dst, **ours),
        case("create a grant on the key through RDS", "kms:CreateGrant", p.key_arn, dst, **via_rds),
        case(
            "create a grant on the key for an AWS resource",
            "kms:CreateGrant",
            p.key_arn,
            dst,
            **via_rds,
            **{"kms:GrantIsForAWSResource": "true"},
        ),
        case("decrypt with the key", "kms:Decrypt", p.key_arn, dst),
        case("decrypt with the key through RDS", "kms:Decrypt", p.key_arn, dst, **via_rds),
        case("describe the key", "kms:DescribeKey", p.key_arn, dst),
        case("describe the key through RDS", "kms:DescribeKey", p.key_arn, dst, **via_rds),
        case("send to the dead-letter queue", "sqs:SendMessage", p.dead_letter_queue_arn, src),
        case("send to another queue", "sqs:SendMessage", other_queue, src),
        case("take messages off the events queue", "sqs:ReceiveMessage", p.queue_arn, src),
        case("delete messages of the events queue", "sqs:DeleteMessage", p.queue_arn, src),
        case("purge the events queue", "sqs:PurgeQueue", p.queue_arn, src),
        case("list snapshots in a third region", "rds:DescribeDBSnapshots", "*", THIRD_REGION),
        case("list cluster snapshots in a third region", "rds:DescribeDBClusterSnapshots", "*", THIRD_REGION),
        case("list databases in a third region", "rds:DescribeDBInstances", "*", THIRD_REGION),
        case("list databases in the destination", "rds:DescribeDBInstances", "*", dst),
        case("read another table", "dynamodb:BatchGetItem", other_table, src),
        case("write another table", "dynamodb:BatchWriteItem", other_table, src),
        case("delete a request", "dynamodb:DeleteItem", table, src),
        case("scan the requests", "dynamodb:Scan", table, src),
        case("delete the table", "dynamodb:DeleteTable", table, src),
        # The drill check reads metrics in the destination only, and writes none (its own are EMF lines).
        case("read metrics in the source region", "cloudwatch:GetMetricData", "*", src),
        case("read metrics in a third region", "cloudwatch:GetMetricData", "*", THIRD_REGION),
        case("put metrics", "cloudwatch:PutMetricData", "*", dst, **{"cloudwatch:namespace": "RdsSnapshotCopy"}),
        case("read metric statistics another way", "cloudwatch:GetMetricStatistics", "*", dst),
    ]
    allow = [
        case("list source snapshots", "rds:DescribeDBSnapshots", "*", src),
        case("list copies", "rds:DescribeDBSnapshots", "*", dst),
        case("list source cluster snapshots", "rds:DescribeDBClusterSnapshots", "*", src),
        case("list cluster copies", "rds:DescribeDBClusterSnapshots", "*", dst),
        case("list source databases", "rds:DescribeDBInstances", "*", src),
        case("list source clusters", "rds:DescribeDBClusters", "*", src),
        case("send to the copier's queue", "sqs:SendMessage", p.queue_arn, src),
        case("read the requests", "dynamodb:BatchGetItem", table, src),
        case("write the requests", "dynamodb:BatchWriteItem", table, src),
        case("read the drills' metric", "cloudwatch:GetMetricData", "*", dst),
    ]
    return deny, allow


def test_the_reconciler_is_denied_what_it_must_never_do(deployed: Deployment) -> None:
    deny, allow = reconciler_cases(deployed)
    results = simulate([r for _, r in deny + allow])
    wrong = [f"{reason}: {result}" for (reason, _), result in zip(deny, results, strict=False) if result.allowed]
    assert not wrong, "must be denied, but is not:\n" + "\n".join(wrong)
    errors = [str(result) for result in results if result.decision == "Error"]
    assert not errors, "the simulator could not evaluate:\n" + "\n".join(errors)
    refused = [
        f"{reason}: {result}"
        for (reason, _), result in zip(allow, results[len(deny) :], strict=True)
        if not result.allowed
    ]
    assert not refused, "the allowed counterparts are refused (the denials prove nothing):\n" + "\n".join(refused)


def test_the_reconciler_reads_no_tags_even_with_a_tag_filter(deployed: Deployment) -> None:
    # The demo deploys with a tag filter (DEMO_SOURCE_FILTER); the reconciler still needs no
    # rds:ListTagsForResource (the describe answers carry the sources' tags), so none may be read.
    p = deployed.policies
    n = Names.of(p, deployed.outputs)
    assert DEMO_SOURCE_FILTER.get("include_tags") or DEMO_SOURCE_FILTER.get("exclude_tags"), DEMO_SOURCE_FILTER
    reads = {
        "a source database": (f"arn:aws:rds:{n.source}:{ACCOUNT}:db:orders-db", n.source),
        "a source cluster": (f"arn:aws:rds:{n.source}:{ACCOUNT}:cluster:ledger-aurora", n.source),
        "a copy": (f"arn:aws:rds:{n.destination}:{ACCOUNT}:snapshot:orders-db-manual-1-0123abcd", n.destination),
    }
    cases = [
        request(p, f"tags of {what}", Authorization("rds:ListTagsForResource", arn), region, function="reconciler")
        for what, (arn, region) in reads.items()
    ]
    decided = {r.id: result.decision for r, result in zip(cases, simulate(cases), strict=True)}
    assert set(decided.values()) == {"ImplicitlyDenied"}, decided
    # The copier, deployed with the same filter, may read them: the denial is the reconciler's role, not the ARN.
    copier = request(p, "copier", Authorization("rds:ListTagsForResource", reads["a source database"][0]), n.source)
    assert simulate([copier])[0].allowed
