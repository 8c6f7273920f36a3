"""Record every AWS call a deployed handler makes, for the IAM simulation: the demo's handler runner's plug-in.

The end-to-end test runs the deployed package's handlers in a fresh interpreter
(rds_snapshot_copy.demo.handler_runner), where tests/iam/recording.py's in-process hook cannot reach. It
passes `handler_env(path)` to the runner instead: the runner runs this file before it imports the handler,
and the hook here writes one JSON object a line to `path` (recording.load_jsonl reads them back). For a
delete, the tags of what is deleted are looked up first and written with the call: IAM conditions read them
(aws:ResourceTag), and after the call they are gone.

This file runs in the handler's interpreter, which imports nothing from the tests: it needs botocore only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

RECORD_TO_VARIABLE = "RECORD_AWS_CALLS_TO"

# Deletes, and how to read the tags of what they delete.
_DELETES = {
    "DeleteDBSnapshot": ("DescribeDBSnapshots", "DBSnapshotIdentifier", "DBSnapshots"),
    "DeleteDBClusterSnapshot": ("DescribeDBClusterSnapshots", "DBClusterSnapshotIdentifier", "DBClusterSnapshots"),
}


def handler_env(record_to: Path) -> dict[str, str]:
    """The environment that makes the handler runner record the handler's calls to `record_to`."""
    from rds_snapshot_copy.demo.handler_runner import PRELOAD_VARIABLE

    return {PRELOAD_VARIABLE: str(Path(__file__).resolve()), RECORD_TO_VARIABLE: str(record_to)}


def install(record_to: str) -> None:
    """Hook botocore in this interpreter: every call appended to `record_to` before it is made."""
    import botocore.client

    original = botocore.client.BaseClient._make_api_call
    # Access keys sts:AssumeRole handed out -> the role ARN they act as (the share function's clean-up reads the
    # vault through the vault's reader role: those calls are the reader's, not the function's role's).
    assumed: dict[str, str] = {}

    def _make_api_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
        call: dict[str, Any] = {
            "service": client.meta.service_model.service_name,
            "operation": operation,
            "region": client.meta.region_name,
            "params": params,
        }
        if operation in _DELETES:
            describe, key, answer = _DELETES[operation]
            try:
                found = original(client, describe, {key: params[key]})[answer]
            except Exception:  # it does not exist (any more): AWS has no tags of it either
                found = []
            tags = (found[0].get("TagList") or []) if found else []
            call["resource_tags"] = {t["Key"]: t.get("Value", "") for t in tags}
        try:
            access_key = client._request_signer._credentials.get_frozen_credentials().access_key
        except Exception:  # unsigned: its own
            access_key = None
        if access_key in assumed:
            call["acting_as"] = assumed[access_key]
        with open(record_to, "a", encoding="utf-8") as out:
            out.write(json.dumps(call, default=str) + "\n")
        answer = original(client, operation, params)
        if operation == "AssumeRole" and params.get("RoleArn"):
            key = (answer.get("Credentials") or {}).get("AccessKeyId")
            if key:
                assumed[key] = params["RoleArn"]
        return answer

    botocore.client.BaseClient._make_api_call = _make_api_call  # type: ignore[method-assign]


if __name__ == "__main__":  # as the handler runner runs it
    install(os.environ.pop(RECORD_TO_VARIABLE))
