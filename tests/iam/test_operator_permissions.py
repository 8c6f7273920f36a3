"""The operator's policy, proven: every call `rds-snapshot-copy restore`, `drill` and `adopt` made (tests/cli,
and the end-to-end drill and adoption against the deployed stack) is allowed by the policy the module renders
for the person who runs them (operator_policy_json, iam_operator.tf), as the identity
policy of a role of the account, with the copies' key policy deciding for the key; what an operator must never
do through it is denied, and the same requests made right pass.

Issue 11: "The IAM simulation covers the permissions the runbook tells an operator to have." Issue 15: `adopt
--apply` may write this deployment's identity, and nothing else, on a 0.4.x copy (no identity yet), never on a
snapshot that carries one. Same method as test_permissions.py: recorded calls -> actions.py -> simulator,
against what Terraform produced.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from rds_snapshot_copy import drill, restore
from rds_snapshot_copy.demo.stack import DeployedPolicies
from snapshot_copy.tagging import TAG_DEPLOYMENT, TAG_SOURCE_REGION, TAG_SOURCE_SNAPSHOT_ARN
from tests.conftest import Deployment
from tests.iam.actions import Authorization, authorizations
from tests.iam.recording import RECORDER, RecordedCall
from tests.iam.simulator import Request, Result, simulate
from tests.iam.test_permissions import ACCOUNT, THIRD_REGION, Names, evaluate, resource_policy

pytestmark = [pytest.mark.iam_simulation, pytest.mark.e2e]

OPERATOR = f"arn:aws:iam::{ACCOUNT}:role/dr-operator"
E2E = "tests/e2e/test_end_to_end.py"
DELETES = ("DeleteDBInstance", "DeleteDBCluster")


@pytest.fixture(scope="module")
def deployed(deployment: Deployment) -> Deployment:
    assert deployment.policies is not None, (
        "the end-to-end test did not get as far as reading the deployed policies back: see its failure"
    )
    assert deployment.policies.operator is not None, "the deployment has no operator_policy_json output"
    return deployment


def operator_request(p: DeployedPolicies, ident: str, auth: Authorization, region: str) -> Request:
    """The operator (a role of the account with the rendered policy, and nothing else) asking for `auth`."""
    return Request(
        id=ident,
        principal=OPERATOR,
        action=auth.action,
        resource=auth.resource,
        context={"aws:RequestedRegion": region, **auth.context},
        identity_policies=[p.operator],
        resource_policy=resource_policy(p, auth.resource),
    )


def recorded_operator_calls(deployed: Deployment) -> tuple[list[RecordedCall], list[RecordedCall]]:
    """(tests/cli's calls moved onto the deployment's regions and key, the end-to-end drill's as made)."""
    names = Names.of(deployed.policies, deployed.outputs)
    calls = RECORDER.of("operator")
    unit = [names.move(c) for c in calls if not c.where.startswith(E2E)]
    e2e = [c for c in calls if c.where.startswith(E2E)]
    return unit, e2e


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    statements = policy["Statement"]
    return [statements] if isinstance(statements, dict) else list(statements)


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def test_the_operator_policy_names_exactly_the_commands_actions(deployed: Deployment) -> None:
    # One list of what restore and drill call (drill.OPERATOR_ACTIONS); the policy grants those, no more.
    granted = {
        a for s in _statements(deployed.policies.operator) if s["Effect"] == "Allow" for a in _listed(s["Action"])
    }
    assert granted == set(drill.OPERATOR_ACTIONS), sorted(granted ^ set(drill.OPERATOR_ACTIONS))
    assert not [s for s in _statements(deployed.policies.operator) if "*" in "".join(_listed(s["Action"]))]


def test_every_call_the_operator_made_is_allowed(deployed: Deployment) -> None:
    p = deployed.policies
    unit, e2e = recorded_operator_calls(deployed)
    assert unit, "no calls recorded from tests/cli (restore, drill): is tests/cli in this run?"
    assert e2e, "no calls recorded from the end-to-end drill"
    calls = unit + e2e
    # The drill never deletes what it did not create: AWS has no tags of an absent database, so the drill-tag
    # condition would refuse that delete (AccessDenied, not DBInstanceNotFound), and the report would say
    # "left behind" for nothing. It looks first (drill.delete_created).
    absent = [
        f"{c.operation} {c.params} ({c.where})" for c in calls if c.operation in DELETES and c.resource_tags is None
    ]
    assert not absent, "deletes of something that does not exist:\n" + "\n".join(absent)
    requests, refused = [], []
    for n, c in enumerate(calls):
        for m, auth in enumerate(authorizations(c.as_call(), ACCOUNT)):
            r = operator_request(p, f"{n}.{m} {c.operation} ({c.where})", auth, c.region)
            (refused if must_be_refused(deployed, c, auth) else requests).append(r)
    results = evaluate(requests)
    denied = [str(result) for _, result in results if not result.allowed]
    assert not denied, "the operator policy would be refused in AWS:\n" + "\n".join(denied)
    allowed = [str(result) for _, result in evaluate(refused) if result.allowed]
    assert not allowed, "the operator policy allows what is not this deployment's:\n" + "\n".join(allowed)
    # What the proof covers: every action the commands call, and the deployment's own calls for both kinds.
    made = {r.action for r, _ in results}
    assert set(drill.OPERATOR_ACTIONS) <= made, sorted(set(drill.OPERATOR_ACTIONS) - made)
    e2e_operations = {c.operation for c in e2e}
    assert {
        "RestoreDBInstanceFromDBSnapshot",
        "RestoreDBClusterFromSnapshot",
        "CreateDBInstance",
        "DeleteDBInstance",
        "DeleteDBCluster",
        "GetFunctionConfiguration",  # adopt --function
        "AddTagsToResource",  # adopt --apply
    } <= e2e_operations, sorted(e2e_operations)
    # Adoption wrote the deployment tag alone, on snapshots without one.
    adoptions = [c for c in calls if c.operation == "AddTagsToResource"]
    assert adoptions and all(
        [t["Key"] for t in c.params["Tags"]] == [TAG_DEPLOYMENT] and TAG_DEPLOYMENT not in (c.resource_tags or {})
        for c in adoptions
    ), [(c.params, c.resource_tags) for c in adoptions]
    # The drill's deletes carried the drill's tag (the condition the policy relies on was really there).
    deletes = [c for c in calls if c.operation in DELETES]
    assert deletes and all(drill.TAG_DRILL in (c.resource_tags or {}) for c in deletes), [
        (c.operation, c.params, c.resource_tags) for c in deletes
    ]
    # The restores used the copies' key, which RDS asks a grant on as the operator.
    keys = {r.resource for r, _ in results if r.action == "kms:CreateGrant"}
    assert keys == {p.key_arn}, keys


def must_be_refused(deployed: Deployment, call: RecordedCall, auth: Authorization) -> str | None:
    """Why AWS must refuse this authorization under this deployment's operator policy, for calls the tests make
    on purpose against something that is not the deployment's; None for the rest, which must be allowed."""
    outputs = deployed.outputs
    functions = {outputs["function_name"], outputs["prune_function_name"], outputs["reconcile_function_name"]}
    if auth.action == "lambda:GetFunctionConfiguration" and auth.resource.split(":")[6] not in functions:
        # `--function absent`: Lambda authorizes before it looks, so AWS answers AccessDenied, not NotFound.
        return "another function than the deployment's"
    if call.operation == "AddTagsToResource":
        if call.resource_tags is None:
            # A stubbed client that answers the test's AccessDenied: the target's tags could not be read.
            return "a snapshot whose tags are unknown"
        tags = {t["Key"]: t.get("Value") for t in call.params.get("Tags", [])}
        if tags.get(TAG_DEPLOYMENT) != Names.of(deployed.policies, outputs).deployment:
            return "another deployment's name"
    return None


def operator_cases(deployed: Deployment) -> tuple[list[tuple[str, Request]], list[tuple[str, Request]]]:
    """(must be denied, the allowed counterparts) for the operator policy."""
    p = deployed.policies
    n = Names.of(p, deployed.outputs)
    src, dst = n.source, n.destination
    db = f"arn:aws:rds:{dst}:{ACCOUNT}:db:"
    cluster = f"arn:aws:rds:{dst}:{ACCOUNT}:cluster:"
    copy_arn = f"arn:aws:rds:{dst}:{ACCOUNT}:snapshot:orders-db-manual-1-0123abcd"
    cluster_copy_arn = f"arn:aws:rds:{dst}:{ACCOUNT}:cluster-snapshot:ledger-aurora-manual-1-0123abcd"
    restore_tags = {
        "aws:RequestTag/restored_by": restore.RESTORED_BY,
        "rds:req-tag/restored_by": restore.RESTORED_BY,
        "aws:TagKeys": list(restore.RESTORE_TAG_KEYS),
    }
    drill_tags = {**restore_tags, f"aws:RequestTag/{drill.TAG_DRILL}": "202611252100"}
    tagged = {f"aws:ResourceTag/{drill.TAG_DRILL}": "202611252100", f"rds:db-tag/{drill.TAG_DRILL}": "202611252100"}
    cluster_tagged = {
        f"aws:ResourceTag/{drill.TAG_DRILL}": "202611252100",
        f"rds:cluster-tag/{drill.TAG_DRILL}": "202611252100",
    }
    # What drill.py names its databases: the policy's drill-* must match it.
    name = drill.drill_name("orders-db", datetime(2026, 11, 25, 21, 0, tzinfo=UTC), set(), lambda _: False)
    via_rds = {"kms:ViaService": f"rds.{dst}.amazonaws.com", "kms:CallerAccount": ACCOUNT}
    grant = {**via_rds, "kms:GrantIsForAWSResource": "true"}

    def case(reason: str, action: str, resource: str, region: str, **context: Any) -> tuple[str, Request]:
        return reason, operator_request(p, reason, Authorization(action, resource, context), region)

    def adopting(deployment: str = n.deployment, keys: tuple[str, ...] = (TAG_DEPLOYMENT,)) -> dict[str, Any]:
        """The request tags of `adopt --apply`: the deployment tag (and, to be refused, `keys` besides)."""
        return {
            "aws:TagKeys": list(keys),
            f"aws:RequestTag/{TAG_DEPLOYMENT}": deployment,
            f"rds:req-tag/{TAG_DEPLOYMENT}": deployment,
        }

    legacy = n.own_copy(**{TAG_DEPLOYMENT: None})  # a 0.4.x copy: the copier's tags but the identity
    function = f"arn:aws:lambda:{src}:{ACCOUNT}:function:{deployed.outputs['reconcile_function_name']}"
    adoption_denied = [
        case(
            "re-tag a copy that carries another deployment's identity",
            "rds:AddTagsToResource",
            copy_arn,
            dst,
            **n.own_copy(**{TAG_DEPLOYMENT: "someone-elses-copies"}),
            **adopting(),
        ),
        case(
            "re-tag a cluster copy that carries another deployment's identity",
            "rds:AddTagsToResource",
            cluster_copy_arn,
            dst,
            **n.own_copy(**{TAG_DEPLOYMENT: "someone-elses-copies"}),
            **adopting(),
        ),
        case(
            "re-tag a copy that is this deployment's already",
            "rds:AddTagsToResource",
            copy_arn,
            dst,
            **n.own_copy(),
            **adopting(),
        ),
        case(
            "adopt a copy as another deployment's",
            "rds:AddTagsToResource",
            copy_arn,
            dst,
            **legacy,
            **adopting("someone-elses-copies"),
        ),
        *[
            case(f"adopt a copy with {what}", "rds:AddTagsToResource", copy_arn, dst, **legacy, **adopting(value))
            for what, value in n.forged_identities().items()
        ],
        case(
            "adopt a copy and rewrite its source ARN",
            "rds:AddTagsToResource",
            copy_arn,
            dst,
            **legacy,
            **adopting(keys=(TAG_DEPLOYMENT, TAG_SOURCE_SNAPSHOT_ARN)),
            **{f"aws:RequestTag/{TAG_SOURCE_SNAPSHOT_ARN}": "arn:aws:rds:x"},
        ),
        case(
            "adopt a copy of another source region",
            "rds:AddTagsToResource",
            copy_arn,
            dst,
            **n.own_copy(**{TAG_DEPLOYMENT: None, TAG_SOURCE_REGION: THIRD_REGION}),
            **adopting(),
        ),
        case(
            "adopt a snapshot without a source ARN tag",
            "rds:AddTagsToResource",
            copy_arn,
            dst,
            **n.own_copy(**{TAG_DEPLOYMENT: None, TAG_SOURCE_SNAPSHOT_ARN: None}),
            **adopting(),
        ),
        case("adopt an untagged snapshot", "rds:AddTagsToResource", copy_arn, dst, **adopting()),
        case(
            "adopt a snapshot of the source region",
            "rds:AddTagsToResource",
            f"arn:aws:rds:{src}:{ACCOUNT}:snapshot:orders-db-1",
            src,
            **legacy,
            **adopting(),
        ),
        case(
            "read another function's settings",
            "lambda:GetFunctionConfiguration",
            f"arn:aws:lambda:{src}:{ACCOUNT}:function:someone-elses-function",
            src,
        ),
        case(
            "read the deployment's function in another region",
            "lambda:GetFunctionConfiguration",
            function.replace(f":{src}:", f":{THIRD_REGION}:"),
            THIRD_REGION,
        ),
    ]
    adoption_allowed = [
        case("adopt a 0.4.x copy", "rds:AddTagsToResource", copy_arn, dst, **legacy, **adopting()),
        case("adopt a 0.4.x cluster copy", "rds:AddTagsToResource", cluster_copy_arn, dst, **legacy, **adopting()),
        case("read the reconciler's settings", "lambda:GetFunctionConfiguration", function, src),
        case("read the settings of a version of it", "lambda:GetFunctionConfiguration", f"{function}:7", src),
    ]

    deny = [
        *adoption_denied,
        case("delete a database that is not a drill's", "rds:DeleteDBInstance", db + "orders-db", dst, **tagged),
        case(
            "delete a cluster that is not a drill's",
            "rds:DeleteDBCluster",
            cluster + "ledger-aurora",
            dst,
            **cluster_tagged,
        ),
        case("delete a drill-named database without the drill's tag", "rds:DeleteDBInstance", db + name, dst),
        case("delete a drill-named cluster without the drill's tag", "rds:DeleteDBCluster", cluster + name, dst),
        case(
            "delete a drill's database in the source region",
            "rds:DeleteDBInstance",
            f"arn:aws:rds:{src}:{ACCOUNT}:db:{name}",
            src,
            **tagged,
        ),
        case(
            "take a final snapshot when deleting a drill's cluster",
            "rds:DeleteDBCluster",
            f"arn:aws:rds:{dst}:{ACCOUNT}:cluster-snapshot:{name}-final",
            dst,
            **{f"aws:ResourceTag/{drill.TAG_DRILL}": "202611252100"},
        ),
        case("delete a copy", "rds:DeleteDBSnapshot", copy_arn, dst),
        case("delete a cluster copy", "rds:DeleteDBClusterSnapshot", cluster_copy_arn, dst),
        case(
            "delete a source snapshot", "rds:DeleteDBSnapshot", f"arn:aws:rds:{src}:{ACCOUNT}:snapshot:orders-db-1", src
        ),
        case("share a copy", "rds:ModifyDBSnapshotAttribute", copy_arn, dst),
        case("copy a copy", "rds:CopyDBSnapshot", copy_arn, dst),
        case("modify a database", "rds:ModifyDBInstance", db + "orders-db", dst),
        case("change the key's policy", "kms:PutKeyPolicy", p.key_arn, dst),
        case("schedule the key's deletion", "kms:ScheduleKeyDeletion", p.key_arn, dst),
        case("disable the key", "kms:DisableKey", p.key_arn, dst),
        case("decrypt with the key", "kms:Decrypt", p.key_arn, dst),
        case("create a grant outside RDS", "kms:CreateGrant", p.key_arn, dst, **{"kms:GrantIsForAWSResource": "true"}),
        case("create a grant not for an AWS resource", "kms:CreateGrant", p.key_arn, dst, **via_rds),
        case(
            "create a grant through RDS of another region",
            "kms:CreateGrant",
            p.key_arn,
            dst,
            **{**grant, "kms:ViaService": f"rds.{src}.amazonaws.com"},
        ),
        case(
            "create a grant on another key",
            "kms:CreateGrant",
            p.key_arn.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000",
            dst,
            **grant,
        ),
        case(
            "restore in the source region",
            "rds:RestoreDBInstanceFromDBSnapshot",
            f"arn:aws:rds:{src}:{ACCOUNT}:db:orders-db",
            src,
            **restore_tags,
        ),
        case(
            "restore in a third region",
            "rds:RestoreDBClusterFromSnapshot",
            f"arn:aws:rds:{THIRD_REGION}:{ACCOUNT}:cluster:ledger-aurora",
            THIRD_REGION,
            **restore_tags,
        ),
        case(
            "restore from a snapshot of the source region",
            "rds:RestoreDBInstanceFromDBSnapshot",
            f"arn:aws:rds:{src}:{ACCOUNT}:snapshot:orders-db-1",
            dst,
            **restore_tags,
        ),
        case("restore without the provenance tag", "rds:RestoreDBInstanceFromDBSnapshot", db + "orders-db", dst),
        case("create a database without the provenance tag", "rds:CreateDBInstance", db + "orders-db", dst),
        case(
            "tag a database as a drill's without the provenance tag",
            "rds:AddTagsToResource",
            db + "orders-db",
            dst,
            **{f"aws:RequestTag/{drill.TAG_DRILL}": "x", "aws:TagKeys": [drill.TAG_DRILL]},
        ),
        case(
            "put metrics in another namespace",
            "cloudwatch:PutMetricData",
            "*",
            dst,
            **{"cloudwatch:namespace": "AWS/RDS"},
        ),
        case("list snapshots in a third region", "rds:DescribeDBSnapshots", "*", THIRD_REGION),
        case("list security groups in a third region", "ec2:DescribeSecurityGroups", "*", THIRD_REGION),
    ]
    namespace = deployed.outputs["lambda_environment"].get("METRIC_NAMESPACE", drill.DEFAULT_METRIC_NAMESPACE)
    allow = [
        *adoption_allowed,
        case("delete a drill's database", "rds:DeleteDBInstance", db + name, dst, **tagged),
        case("delete a drill's writer", "rds:DeleteDBInstance", db + restore.writer_name(name), dst, **tagged),
        case("delete a drill's cluster", "rds:DeleteDBCluster", cluster + name, dst, **cluster_tagged),
        case("restore a copy", "rds:RestoreDBInstanceFromDBSnapshot", db + "orders-db", dst, **restore_tags),
        case("restore from the copy", "rds:RestoreDBInstanceFromDBSnapshot", copy_arn, dst, **restore_tags),
        case("restore a cluster copy", "rds:RestoreDBClusterFromSnapshot", cluster + name, dst, **drill_tags),
        case("tag what a restore creates", "rds:AddTagsToResource", db + "orders-db", dst, **restore_tags),
        case("create a grant through RDS in the destination", "kms:CreateGrant", p.key_arn, dst, **grant),
        case("check the copies' key", "kms:DescribeKey", p.key_arn, dst, **{"kms:CallerAccount": ACCOUNT}),
        case("put drill metrics", "cloudwatch:PutMetricData", "*", dst, **{"cloudwatch:namespace": namespace}),
        case("read the source's settings", "rds:DescribeDBInstances", "*", src),
        case("read the source's security groups", "ec2:DescribeSecurityGroups", "*", src),
        case("list copies", "rds:DescribeDBSnapshots", "*", dst),
    ]
    return deny, allow


def test_the_operator_is_denied_what_it_must_never_do(deployed: Deployment) -> None:
    deny, allow = operator_cases(deployed)
    results: list[Result] = simulate([r for _, r in deny + allow])
    errors = [str(result) for result in results if result.decision == "Error"]
    assert not errors, "the simulator could not evaluate:\n" + "\n".join(errors)
    wrong = [f"{reason}: {result}" for (reason, _), result in zip(deny, results, strict=False) if result.allowed]
    assert not wrong, "must be denied, but is not:\n" + "\n".join(wrong)
    refused = [
        f"{reason}: {result}"
        for (reason, _), result in zip(allow, results[len(deny) :], strict=True)
        if not result.allowed
    ]
    assert not refused, "the allowed counterparts are refused (the denials prove nothing):\n" + "\n".join(refused)
