"""Recording every AWS API call a function makes while the tests run, for the IAM simulation.

One hook on botocore's `BaseClient._make_api_call` sees every call of every client (moto, Stubber or real
endpoint alike) with the operation's model name, the client's region and the parameters as passed. Calls
are kept only while a function runs (`calls_of("copier")` around its handler), so the tests' own setup
(creating snapshots, reading queues) is not mistaken for the function's.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import contextvars
import copy
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.client

_function: contextvars.ContextVar[str | None] = contextvars.ContextVar("recorded_function", default=None)
_test: contextvars.ContextVar[str] = contextvars.ContextVar("recorded_test", default="?")


@dataclass(frozen=True)
class RecordedCall:
    function: str  # "copier", "pruner", ...
    service: str  # botocore's service name: "rds", "sqs", ...
    operation: str  # the API's name: "CopyDBSnapshot"
    region: str
    params: dict[str, Any]
    where: str = "?"  # the test (or the e2e step) that made it
    # The tags of the resource acted on, where IAM conditions read them (aws:ResourceTag): a snapshot
    # about to be deleted, or about to be tagged (adopt).
    resource_tags: dict[str, str] | None = None
    # The key of the snapshot a restore starts from (the call names the snapshot only; RDS uses its key).
    snapshot_kms_key_arn: str | None = None
    # The function's DEPLOYMENT_NAME when it made the call (unset: the default name): the identity it writes
    # and deletes by, which tests/iam moves onto the deployment's name as it moves the regions.
    deployment: str | None = None
    # The role whose credentials the client used, when they came from sts:AssumeRole during the recording
    # (the source side's clean-up checks the vault through the vault's reader role): None = the function's own.
    acting_as: str | None = None

    def as_call(self) -> dict[str, Any]:
        """The shape tests/iam/actions.py maps to authorizations."""
        call = {"service": self.service, "operation": self.operation, "region": self.region, "params": self.params}
        if self.resource_tags is not None:
            call["resource_tags"] = self.resource_tags
        if self.snapshot_kms_key_arn is not None:
            call["snapshot_kms_key_arn"] = self.snapshot_kms_key_arn
        return call


@dataclass
class Recorder:
    calls: list[RecordedCall] = field(default_factory=list)

    def of(self, function: str) -> list[RecordedCall]:
        return [c for c in self.calls if c.function == function]


RECORDER = Recorder()


@contextlib.contextmanager
def calls_of(function: str) -> Iterator[None]:
    """Everything the code inside makes is recorded as `function`'s calls."""
    token = _function.set(function)
    try:
        yield
    finally:
        _function.reset(token)


@contextlib.contextmanager
def in_test(name: str) -> Iterator[None]:
    token = _test.set(name)
    try:
        yield
    finally:
        _test.reset(token)


# Deletes, and how to read the tags of what they delete (the call is recorded before it runs).
_TAGGED_DELETES = {
    "DeleteDBSnapshot": ("describe_db_snapshots", "DBSnapshotIdentifier", "DBSnapshots"),
    "DeleteDBClusterSnapshot": ("describe_db_cluster_snapshots", "DBClusterSnapshotIdentifier", "DBClusterSnapshots"),
    "DeleteDBInstance": ("describe_db_instances", "DBInstanceIdentifier", "DBInstances"),
    "DeleteDBCluster": ("describe_db_clusters", "DBClusterIdentifier", "DBClusters"),
}
# Restores, and how to read the key of the snapshot they start from.
_RESTORES = {
    "RestoreDBInstanceFromDBSnapshot": ("describe_db_snapshots", "DBSnapshotIdentifier", "DBSnapshots"),
    "RestoreDBClusterFromSnapshot": (
        "describe_db_cluster_snapshots",
        "DBClusterSnapshotIdentifier",
        "DBClusterSnapshots",
    ),
}


def _look(client: Any, describe: str, key: str, value: Any, answer: str) -> list[dict[str, Any]] | None:
    """The harness's own describe, not the function's call; None when it fails (e.g. a stubbed client)."""
    token = _function.set(None)
    try:
        return getattr(client, describe)(**{key: value})[answer]
    except Exception:
        return None
    finally:
        _function.reset(token)


def _tags_before(client: Any, operation: str, params: dict[str, Any]) -> dict[str, str] | None:
    if client.meta.service_model.service_name != "rds":
        return None
    if operation == "AddTagsToResource":
        # The tags it has before these are added: what the operator's adopt condition reads.
        found = _look(client, "list_tags_for_resource", "ResourceName", params.get("ResourceName"), "TagList")
        return None if found is None else {t["Key"]: t.get("Value", "") for t in found}
    if operation not in _TAGGED_DELETES:
        return None
    describe, key, answer = _TAGGED_DELETES[operation]
    found = _look(client, describe, key, params.get(key), answer)
    # None: it did not exist (or could not be looked at), so AWS has no tags of it to put in the request.
    return {t["Key"]: t.get("Value", "") for t in (found[0].get("TagList") or [])} if found else None


def _snapshot_key(client: Any, operation: str, params: dict[str, Any]) -> str | None:
    if client.meta.service_model.service_name != "rds" or operation not in _RESTORES:
        return None
    describe, key, answer = _RESTORES[operation]
    snapshot = params.get("SnapshotIdentifier") or params.get(key)
    found = _look(client, describe, key, snapshot, answer) if snapshot else None
    return found[0].get("KmsKeyId") if found else None


# Access keys handed out by sts:AssumeRole during the tests -> the role ARN they act as.
_ASSUMED: dict[str, str] = {}


def _access_key(client: Any) -> str | None:
    try:
        return client._request_signer._credentials.get_frozen_credentials().access_key
    except Exception:  # no credentials (a stubbed or unsigned client): its own
        return None


def _remember_assumed_role(operation: str, params: dict[str, Any], answer: Any) -> None:
    if operation == "AssumeRole" and isinstance(answer, dict) and params.get("RoleArn"):
        key = (answer.get("Credentials") or {}).get("AccessKeyId")
        if key:
            _ASSUMED[key] = params["RoleArn"]


def _record(client: Any, operation: str, params: dict[str, Any]) -> None:
    function = _function.get()
    if function is None:
        return
    resource_tags = _tags_before(client, operation, params)
    RECORDER.calls.append(
        RecordedCall(
            function=function,
            service=client.meta.service_model.service_name,
            operation=operation,
            region=client.meta.region_name,
            params=json.loads(json.dumps(copy.deepcopy(params), default=str)),
            where=_test.get(),
            resource_tags=resource_tags,
            snapshot_kms_key_arn=_snapshot_key(client, operation, params),
            deployment=os.environ.get("DEPLOYMENT_NAME") or None,
            acting_as=_ASSUMED.get(_access_key(client) or ""),
        )
    )


@contextlib.contextmanager
def installed() -> Iterator[Recorder]:
    """Hook botocore for the duration (the tests' session), and carry the recording's context into the
    threads a function starts (the reconciler lists both regions at once): a new thread starts with an
    empty context, so its calls would otherwise go unrecorded, and unproven."""
    original = botocore.client.BaseClient._make_api_call
    original_submit = concurrent.futures.ThreadPoolExecutor.submit

    def _make_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        _record(self, operation_name, api_params)
        answer = original(self, operation_name, api_params)
        # Also outside a function: a test may assume the role for the function and hand it the client.
        _remember_assumed_role(operation_name, api_params, answer)
        return answer

    def submit(self: Any, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        return original_submit(self, contextvars.copy_context().run, fn, *args, **kwargs)

    botocore.client.BaseClient._make_api_call = _make_api_call  # type: ignore[method-assign]
    concurrent.futures.ThreadPoolExecutor.submit = submit  # type: ignore[method-assign]
    try:
        yield RECORDER
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]
        concurrent.futures.ThreadPoolExecutor.submit = original_submit  # type: ignore[method-assign]


def load_jsonl(path: Path, function: str, where: str) -> list[RecordedCall]:
    """Calls written by a handler run in another process (tests/iam/handler_recording.py, plugged into the demo's
    handler runner by the e2e test, writes one JSON object a line)."""
    if not path.exists():
        return []
    calls = []
    for line in path.read_text().splitlines():
        if line.strip():
            raw = json.loads(line)
            calls.append(
                RecordedCall(
                    function,
                    raw["service"],
                    raw["operation"],
                    raw["region"],
                    raw["params"],
                    where,
                    raw.get("resource_tags"),
                    raw.get("snapshot_kms_key_arn"),
                    acting_as=raw.get("acting_as"),
                )
            )
    return calls
