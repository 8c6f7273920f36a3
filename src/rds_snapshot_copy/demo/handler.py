"""The deployed package's handlers, run as Lambda would run them: the harness side.

moto cannot run Lambda code (it has no Docker here). So the demo unpacks the deployed zip (after checking it
is byte for byte the code the function runs), and runs a handler in a fresh interpreter (handler_runner, as
a new Lambda container would) with the function's own environment, read back from the emulator, plus what
the Lambda runtime adds, pointed at the emulator; and it polls a queue the way the event source mapping does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rds_snapshot_copy.demo.aws import SOURCE_REGION, Clients
from rds_snapshot_copy.demo.emulator import ACCESS_KEY, SECRET_KEY, Emulator
from rds_snapshot_copy.demo.readback import DeployedFunction
from rds_snapshot_copy.package import Package

HANDLER_RUNNER = "rds_snapshot_copy.demo.handler_runner"


@dataclass
class DeployedPackage:
    """The deployed zip, unpacked, after checking that it is byte for byte what the function runs."""

    directory: Path
    base64_sha256: str

    @classmethod
    def unpack(cls, package: Package, function: DeployedFunction, into: Path) -> DeployedPackage:
        if package.base64_sha256 != function.code_sha256:
            raise AssertionError(
                f"the package ({package.base64_sha256}) is not the deployed code (CodeSha256 {function.code_sha256})"
            )
        into.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(package.path) as archive:
            archive.extractall(into)
        return cls(into, package.base64_sha256)


@dataclass
class HandledBatch:
    records: list[dict[str, Any]]
    response: dict[str, Any]
    finished_at: float
    log: str

    @property
    def failed_ids(self) -> set[str]:
        return {f["itemIdentifier"] for f in self.response.get("batchItemFailures", [])}


def run_handler(
    package: DeployedPackage,
    function: DeployedFunction,
    emulator: Emulator,
    event: dict[str, Any],
    extra_env: dict[str, str] | None = None,
) -> tuple[dict[str, Any], str]:
    """Invoke the handler in a fresh interpreter (as a new Lambda container would) with the deployed
    function's own environment, plus what the Lambda runtime adds, pointed at the emulator, plus `extra_env`
    (e.g. handler_runner.PRELOAD_VARIABLE). Its answer, and its log (stdout and stderr)."""
    region = function.environment.get("SOURCE_REGION", SOURCE_REGION)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONDONTWRITEBYTECODE": "1",
        **function.environment,
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_ENDPOINT_URL": emulator.endpoint,
        **(extra_env or {}),
    }
    with tempfile.TemporaryDirectory(prefix="handler-") as scratch:
        answer = Path(scratch) / "answer.json"
        result = subprocess.run(
            [
                sys.executable,
                "-I",
                "-m",
                HANDLER_RUNNER,
                str(package.directory),
                function.handler,
                function.name,
                str(answer),
                *([function.arn] if function.arn else []),
            ],
            input=json.dumps(event),
            capture_output=True,
            text=True,
            env=env,
            cwd=package.directory,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(f"the handler raised (exit {result.returncode}):\n{result.stderr[-4000:]}")
        return json.loads(answer.read_text()), result.stdout + result.stderr


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS poller builds from received messages."""
    records = []
    for m in messages:
        attributes = m.get("Attributes", {})
        records.append(
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {
                    key: attributes[key]
                    for key in (
                        "ApproximateReceiveCount",
                        "SentTimestamp",
                        "SenderId",
                        "ApproximateFirstReceiveTimestamp",
                    )
                    if key in attributes
                },
                "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
        )
    return {"Records": records}


def consume_queue(
    clients: Clients,
    emulator: Emulator,
    package: DeployedPackage,
    function: DeployedFunction,
    queue_url: str,
    expected: int,
    timeout: float = 60.0,
    extra_env: dict[str, str] | None = None,
) -> list[HandledBatch]:
    """Poll the queue as the event source mapping does: batches of the mapping's batch size, the
    handler on each, then delete every record it did not report in batchItemFailures.

    moto tries to run the function itself when a message arrives (and fails without Docker), then
    makes the message visible again with its receive count one higher: the records carry the receive
    count SQS gives, as Lambda's would.
    """
    sqs = clients("sqs", SOURCE_REGION)
    region = function.queue_arn.split(":")[3]
    batches: list[HandledBatch] = []
    handled = 0
    deadline = time.monotonic() + timeout
    while handled < expected and time.monotonic() < deadline:
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(function.batch_size, 10),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=1,
        ).get("Messages", [])
        if not messages:
            continue
        event = sqs_event(messages, function.queue_arn, region)
        response, log = run_handler(package, function, emulator, event, extra_env)
        batch = HandledBatch(event["Records"], response, time.time(), log)
        done = [r for r in event["Records"] if r["messageId"] not in batch.failed_ids]
        if done:
            answer = sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(done)],
            )
            if answer.get("Failed"):
                raise AssertionError(f"could not delete handled messages: {answer['Failed']}")
        handled += len(done)
        batches.append(batch)
        if batch.failed_ids:
            raise AssertionError(f"the handler reported failures: {response}\n{log[-4000:]}")
    if handled < expected:
        raise AssertionError(f"handled {handled} of {expected} queued events within {timeout:.0f} s")
    return batches
