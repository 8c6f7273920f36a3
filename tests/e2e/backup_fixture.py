"""examples/backup-account in the local emulator, shared by its end-to-end test (which applies it and runs every
step) and the IAM simulation of the backup-account mode (tests/iam, which reads what the test found out):
the `backup_deployment` session fixture, registered in tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rds_snapshot_copy.demo.backup_readback import BackupPolicies
from rds_snapshot_copy.demo.backup_steps import BackupSteps
from rds_snapshot_copy.demo.emulator import Emulator


class BackupDeployment:
    """Both accounts of examples/backup-account in one emulator. `policies` and `outputs` are filled by
    tests/e2e/test_backup_account.py right after its apply (None / {} until then)."""

    def __init__(self, emulator: Emulator, steps: BackupSteps) -> None:
        self.emulator = emulator
        self.steps = steps
        self.policies: BackupPolicies | None = None
        self.outputs: dict[str, Any] = {}
        # The deployed packages' handlers write every AWS call they make here (tests/iam/handler_recording.py).
        self.recorded_share_calls_file: Path | None = None
        self.recorded_copier_calls_file: Path | None = None

    @property
    def workspace_root(self) -> Path:
        assert self.steps.workspace is not None
        return self.steps.workspace.root


@pytest.fixture(scope="session")
def backup_deployment() -> Iterator[BackupDeployment]:
    from tests.iam.handler_recording import handler_env

    emulator = Emulator().start()
    steps = BackupSteps(emulator)
    try:
        workspace = steps.create_workspace()
        deployment = BackupDeployment(emulator, steps)
        deployment.recorded_share_calls_file = workspace.root / "recorded-share-calls.jsonl"
        deployment.recorded_copier_calls_file = workspace.root / "recorded-vault-copier-calls.jsonl"
        steps.recording_env = {
            "share": handler_env(deployment.recorded_share_calls_file),
            "copier": handler_env(deployment.recorded_copier_calls_file),
        }
        yield deployment
    finally:
        # No destroy: the emulator holds both accounts in memory and goes with them.
        emulator.stop()
        if steps.workspace is not None:
            steps.workspace.remove()
