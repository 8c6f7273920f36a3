"""The local AWS emulator (moto_server) for the demo and the end-to-end test.

`Emulator` starts moto_server (`python -m rds_snapshot_copy.demo.emulator`: moto's own server with the fixes
in `patch_moto()`) on 127.0.0.1 on a free port, in its own process group (so
the terminal's Ctrl-C reaches only the harness, which then cleans up in order), tied to this process's
life (Linux: it dies with its parent even on SIGKILL), waits until it answers, and stops it reliably.
`provider_override()` is the Terraform file that points the example's two aliased providers at it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
REGION = "us-east-1"
ACCESS_KEY = "test"
SECRET_KEY = "test"
ACCOUNT_ID = "123456789012"  # moto's default account

# Every AWS service the module (and the demo) talks to, by the provider's endpoint names.
PROVIDER_ENDPOINTS = ("cloudwatch", "dynamodb", "events", "iam", "kms", "lambda", "logs", "rds", "sns", "sqs", "sts")
PROVIDER_ALIASES = ("source", "destination")

_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class EmulatorError(RuntimeError):
    pass


class Emulator:
    """One moto_server process. Use as a context manager, or call start() and stop()."""

    def __init__(self, port: int | None = None, log_path: Path | None = None) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None
        self._own_log_dir: Path | None = None
        self.log_path = log_path

    @property
    def endpoint(self) -> str:
        if self.port is None:
            raise EmulatorError("the emulator is not started")
        return f"http://{HOST}:{self.port}"

    def client_env(self, region: str = REGION) -> dict[str, str]:
        """Environment variables that point boto3 (and the AWS CLI) at the emulator."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
        }

    def start(self, timeout: float = 60.0) -> Emulator:
        if self.process is not None:
            return self
        if self.log_path is None:
            self._own_log_dir = Path(tempfile.mkdtemp(prefix="moto-log-"))
            self.log_path = self._own_log_dir / "moto_server.log"
        for attempt in range(3):
            port = self.port if self.port is not None and attempt == 0 else free_port()
            self._spawn(port)
            try:
                self._wait_ready(timeout)
            except EmulatorError:
                self.stop(keep_log=True)
                if attempt == 2:
                    raise
                continue
            return self
        raise EmulatorError("moto_server did not start")  # pragma: no cover

    def _spawn(self, port: int) -> None:
        self.port = port
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.setdefault("PYTHONUNBUFFERED", "1")
        # RDS instances touch moto's EC2 backend, which otherwise loads every default AMI (slow).
        env.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "rds_snapshot_copy.demo.emulator", "-H", HOST, "-p", str(port)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
        finally:
            log.close()

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        url = f"{self.endpoint}/moto-api/"
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise EmulatorError(f"moto_server exited early; log:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answered
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                time.sleep(0.1)
        raise EmulatorError(f"moto_server did not answer on {self.endpoint} within {timeout:.0f} s")

    def log_tail(self, lines: int = 40) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, keep_log: bool = False) -> None:
        """Stop the server and its process group; safe to call twice and from a signal's cleanup."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, sig)
                try:
                    process.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)  # anything it started
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        if not keep_log and self._own_log_dir is not None:
            shutil.rmtree(self._own_log_dir, ignore_errors=True)
            self._own_log_dir = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def provider_override(endpoint: str, aliases: tuple[str, ...] = PROVIDER_ALIASES) -> str:
    """A `*_override.tf` that points the example's aliased `aws` providers at the emulator.

    Terraform merges an override file's provider block into the provider block with the same name and
    alias, so the example keeps its regions and the user's stack stays exactly as they would run it.
    """
    endpoints = "\n".join(f'    {service:<10} = "{endpoint}"' for service in PROVIDER_ENDPOINTS)
    blocks = []
    for alias in aliases:
        blocks.append(
            f"""provider "aws" {{
  alias = "{alias}"

  access_key                  = "{ACCESS_KEY}"
  secret_key                  = "{SECRET_KEY}"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = false
  s3_use_path_style           = true

  endpoints {{
{endpoints}
  }}
}}
"""
        )
    header = (
        "# Generated by rds-snapshot-copy (demo, emulator): the providers talk to the local emulator. Never commit.\n\n"
    )
    return header + "\n".join(blocks)


@contextlib.contextmanager
def signals_raise_keyboard_interrupt() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into KeyboardInterrupt (as SIGINT already is), so `finally` cleans up."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")

    previous = {}
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        with contextlib.suppress(ValueError, OSError):  # not in the main thread
            previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            with contextlib.suppress(ValueError, OSError):
                signal.signal(sig, old)


def patch_moto() -> None:
    """Close the gaps of moto 5.2 that the module's Terraform runs into (emulator-side only).

    1. SQS does not know the RedriveAllowPolicy attribute: GetQueueAttributes rejects the name and
       never returns it, so `aws_sqs_queue_redrive_allow_policy` waits for it forever.
    2. SetQueueAttributes without a Policy clears the queue's Policy (moto sets it to None), so setting
       the redrive-allow policy erased the dead-letter queue's policy and the next plan showed a diff.
    3. SQS returns RedrivePolicy as `json.dumps` with spaces (AWS: compact JSON), which the provider
       reports as a (whitespace) change of `aws_sqs_queue.redrive_policy` on every plan.
    4. Lambda drops a function's DeadLetterConfig and LoggingConfig: GetFunction never returns them,
       so every plan wants to add `dead_letter_config` and `logging_config` again.
    5. Service Quotas has no ListServiceQuotas (NotImplementedError): answered as for any service moto
       holds no quotas of, NoSuchResourceException, so the pruner reads on as it would in AWS.
    6. Every snapshot is taken "now", so there is nothing old to prune. A snapshot created with the tag
       `emulator:taken-days-ago` = N is backdated N days (the tag is dropped; N may be a fraction): the
       demo's older copies and its stale source.
    7. EventBridge matches every event against a schedule rule (it has no pattern) and then fails on its
       Lambda target (500 for PutEvents); in AWS a schedule rule never matches an event: made so.
    8. An Aurora cluster's member instance gets an automated DB instance snapshot of its own when it is
       created; in AWS an Aurora instance has no snapshots (its cluster has): none is taken.
    9. SQS answers every call from the caller's own account, whatever account the QueueUrl names, so a
       source account's function could not send to the vault's queue (AWS: the queue's policy decides; moto
       enforces no policy): a call naming a queue of another account goes to that account's queue.
    10. RDS cannot copy (or describe) a snapshot another account shared: moto_patches.apply() (the
       vault's copier's one call of the backup-account mode; also applied by the unit tests' harness).
    """
    from rds_snapshot_copy.demo import moto_patches

    _patch_sqs()
    _patch_sqs_cross_account()
    moto_patches.apply()
    _patch_lambda()
    patch_service_quotas()
    _patch_snapshot_times()
    _patch_schedule_rules()
    _patch_aurora_member_backups()


def _patch_sqs() -> None:
    import json

    from moto.sqs.models import Queue

    if getattr(Queue, "_snapshot_copy_patched", False):
        return
    if "RedriveAllowPolicy" not in Queue.BASE_ATTRIBUTES:
        Queue.BASE_ATTRIBUTES = [*Queue.BASE_ATTRIBUTES, "RedriveAllowPolicy"]
    Queue.redrive_allow_policy = None
    original = Queue._set_attributes

    def _set_attributes(self: Queue, attributes: dict, now: float | None = None) -> None:
        keep_policy = "Policy" not in attributes and hasattr(self, "_policy_json")
        saved = self._policy_json if keep_policy else None
        original(self, attributes, now)
        if keep_policy:
            self._policy_json = saved
        if attributes.get("RedriveAllowPolicy") == "":
            self.redrive_allow_policy = None

    Queue._set_attributes = _set_attributes

    original_attributes = Queue.attributes.fget

    def attributes(self: Queue) -> dict:
        result = original_attributes(self)
        if self.redrive_policy:
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        return result

    Queue.attributes = property(attributes)
    Queue._snapshot_copy_patched = True


def _patch_sqs_cross_account() -> None:
    import re

    from moto.sqs.models import sqs_backends
    from moto.sqs.responses import SQSResponse

    if getattr(SQSResponse, "_snapshot_copy_patched", False):
        return
    account_in_url = re.compile(r"/(\d{12})/[^/]+/?$")

    def sqs_backend(self: SQSResponse) -> Any:
        account = self.current_account
        with contextlib.suppress(Exception):  # no QueueUrl (CreateQueue, ListQueues): the caller's account
            found = account_in_url.search(str(self._get_param("QueueUrl") or ""))
            if found:
                account = found.group(1)
        return sqs_backends[account][self.region]

    SQSResponse.sqs_backend = property(sqs_backend)
    SQSResponse._snapshot_copy_patched = True


def patch_service_quotas() -> None:
    from moto.servicequotas.exceptions import NoSuchResource
    from moto.servicequotas.responses import ServiceQuotasResponse

    if hasattr(ServiceQuotasResponse, "list_service_quotas"):
        return

    def list_service_quotas(self: ServiceQuotasResponse) -> str:
        raise NoSuchResource

    ServiceQuotasResponse.list_service_quotas = list_service_quotas


AGE_TAG = "emulator:taken-days-ago"


def _patch_snapshot_times() -> None:
    import datetime as dt

    from moto.rds.models import DBClusterSnapshot, DBSnapshot

    for model in (DBSnapshot, DBClusterSnapshot):
        if getattr(model, "_snapshot_copy_patched", False):
            continue
        original = model.__init__

        def __init__(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> None:
            _original(self, *args, **kwargs)
            age = next((t.get("Value") for t in self.tags or [] if t.get("Key") == AGE_TAG), None)
            if age is not None:
                self.tags = [t for t in self.tags if t.get("Key") != AGE_TAG]
                self.created = self.created - dt.timedelta(days=float(age))
                if hasattr(self, "original_snapshot_create_time"):
                    self.original_snapshot_create_time = self.created

        model.__init__ = __init__
        model._snapshot_copy_patched = True


def _patch_aurora_member_backups() -> None:
    from moto.rds.models import DBInstanceClustered

    if getattr(DBInstanceClustered, "_snapshot_copy_patched", False):
        return

    def save_automated_backup(self: Any) -> None:
        return None

    DBInstanceClustered.save_automated_backup = save_automated_backup
    DBInstanceClustered._snapshot_copy_patched = True


def _patch_schedule_rules() -> None:
    from moto.events.models import Rule

    if getattr(Rule, "_snapshot_copy_patched", False):
        return
    original = Rule.send_to_targets

    def send_to_targets(self: Any, *args: Any, **kwargs: Any) -> None:
        if getattr(self, "schedule_exp", None) or getattr(self, "scheduled_expression", None):
            return
        original(self, *args, **kwargs)

    Rule.send_to_targets = send_to_targets
    Rule._snapshot_copy_patched = True


def _patch_lambda() -> None:
    from moto.awslambda.models import LambdaFunction

    if getattr(LambdaFunction, "_snapshot_copy_patched", False):
        return
    echoed = ("DeadLetterConfig", "LoggingConfig")
    original_init = LambdaFunction.__init__
    original_get_configuration = LambdaFunction.get_configuration
    original_update_configuration = LambdaFunction.update_configuration

    def __init__(self: LambdaFunction, account_id: str, spec: dict, *args: object, **kwargs: object) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        self._echoed_config = {key: spec[key] for key in echoed if spec.get(key)}

    def get_configuration(self: LambdaFunction, *args: object, **kwargs: object) -> dict:
        config = original_get_configuration(self, *args, **kwargs)
        for key, value in getattr(self, "_echoed_config", {}).items():
            config.setdefault(key, value)
        return config

    def update_configuration(self: LambdaFunction, config_updates: dict) -> dict:
        stored = getattr(self, "_echoed_config", {})
        for key in echoed:
            if key in config_updates:
                if config_updates[key]:
                    stored[key] = config_updates[key]
                else:
                    stored.pop(key, None)
        self._echoed_config = stored
        return original_update_configuration(self, config_updates)

    LambdaFunction.__init__ = __init__
    LambdaFunction.get_configuration = get_configuration
    LambdaFunction.update_configuration = update_configuration
    LambdaFunction._snapshot_copy_patched = True


def serve(argv: list[str] | None = None) -> None:
    """`python -m rds_snapshot_copy.demo.emulator -H 127.0.0.1 -p PORT`: moto_server with `patch_moto()`."""
    patch_moto()
    from moto.server import main as moto_server_main

    moto_server_main(argv)


if __name__ == "__main__":
    serve()
