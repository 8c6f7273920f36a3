"""The backup-account mode end to end, step by step, as the demo shows it and the end-to-end test checks it.

`BackupSteps` deploys examples/backup-account (the vault = the root module in the emulator's default account,
the source side = modules/source-account in SOURCE_ACCOUNT, through the example's assume_role provider) and
runs each step with the deployed packages' handlers (handler.run_handler, as the single-account demo runs the
copier), each function acting with its own role's credentials (sts:AssumeRole, as Lambda hands a function its
role's): the source function on the events its rule routed to its queue, then on the share copies' own
events, the vault's copier on the vault's queue, the source function's scheduled clean-up. Each step returns
what it found; the demo prints it (backup_demo.py), the test asserts it (tests/e2e/test_backup_account.py).
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rds_snapshot_copy.demo.aws import (
    DESTINATION_REGION,
    NETWORK_NAME,
    SOURCE_REGION,
    SourceSnapshot,
    create_network,
    put_rds_event,
    queue_depth,
)
from rds_snapshot_copy.demo.backup_account import (
    AS_IS,
    SHARE_COPY,
    SOURCE_ACCOUNT,
    STRANGER_ACCOUNT,
    VAULT_ACCOUNT,
    AccountClients,
    Original,
    VaultCopy,
    create_app_key,
    create_originals,
    create_stranger_share,
    dead_letters,
    exists,
    rds_created_event,
    restore_accounts,
    role_env,
    scheduled_event,
    share_copies,
    vault_copy,
)
from rds_snapshot_copy.demo.backup_readback import find_share_function, queue_url_of
from rds_snapshot_copy.demo.emulator import Emulator
from rds_snapshot_copy.demo.handler import DeployedPackage, HandledBatch, consume_queue, run_handler
from rds_snapshot_copy.demo.readback import DeployedFunction, read_back_function, read_back_scheduled_function
from rds_snapshot_copy.demo.stack import DEMO_KEY_ADMIN_ARN, DEMO_SOURCE_FILTER, Stack, Workspace

EXAMPLE = Path("examples/backup-account")
# The class the drill restores both databases as (an Aurora class that RDS for PostgreSQL also offers).
DRILL_INSTANCE_CLASS = "db.r6g.large"
ALIAS = re.compile(r'^\s*alias\s*=\s*"([A-Za-z0-9_-]+)"', re.MULTILINE)
# The example's own inputs (its variables.tf), as the demo sets them.
EXAMPLE_VARIABLES = {
    "source_region": SOURCE_REGION,
    "destination_region": DESTINATION_REGION,
    "source_account_id": SOURCE_ACCOUNT,
    "source_filter": DEMO_SOURCE_FILTER,
    "reconcile_grace_minutes": 0,
    "drill_max_age_days": 90,
    # The vault key's guard: the single-account demo's break-glass role, in the vault account.
    "key_admin_principal_arns": [DEMO_KEY_ADMIN_ARN],
    # A throw-away stack: the demo never destroys it (the emulator's state goes with it).
    "kms_key_prevent_destroy": False,
}


def example_aliases(example_dir: Path) -> tuple[str, ...]:
    """The aliased `aws` providers the example declares (each gets the emulator's endpoints)."""
    found: list[str] = []
    for tf in sorted(example_dir.glob("*.tf")):
        if tf.name.endswith("_override.tf"):
            continue
        for alias in ALIAS.findall(tf.read_text()):
            if alias not in found:
                found.append(alias)
    if not found:
        raise AssertionError(f"{example_dir}: no aliased aws provider")
    return tuple(found)


def example_variables(example_dir: Path, app_key_arn: str) -> dict[str, Any]:
    """EXAMPLE_VARIABLES that the example declares, and the app key as shareable."""
    declared = set(re.findall(r'^variable\s+"([^"]+)"', (example_dir / "variables.tf").read_text(), re.MULTILINE))
    values = {**EXAMPLE_VARIABLES, "shareable_kms_key_arns": [app_key_arn]}
    return {name: value for name, value in values.items() if name in declared}


@dataclass
class Shared:
    """An original and what the vault copies for it: the original itself, or its share copy."""

    original: Original
    shared: SourceSnapshot | None = None  # None: not shared (yet)

    @property
    def decision(self) -> str:
        if self.shared is None:
            return "not shared"
        return SHARE_COPY if self.shared.arn != self.original.snapshot.arn else AS_IS


@dataclass
class ShareRun:
    batches: list[HandledBatch]
    vault_queue_depth: int


@dataclass
class BackupSteps:
    emulator: Emulator
    repo: Path | None = None
    on_line: Callable[[str], None] | None = None
    # Handlers' extra environment per function ("share", "copier"): the IAM tests' call recorders.
    recording_env: dict[str, dict[str, str]] = field(default_factory=dict)
    workspace: Workspace | None = None
    stack: Stack | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    originals: list[Original] = field(default_factory=list)
    shared: list[Shared] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.vault = AccountClients(self.emulator)
        self.source = AccountClients(self.emulator, SOURCE_ACCOUNT)
        self._packages: dict[str, DeployedPackage] = {}

    # -- 1. deploy ----------------------------------------------------------------------------------------
    def create_workspace(self) -> Workspace:
        from rds_snapshot_copy.demo.stack import find_repo

        repo = find_repo() if self.repo is None else self.repo
        self.app_key_arn = create_app_key(self.source)
        self.workspace = Workspace.create(
            self.emulator.endpoint,
            repo,
            example=EXAMPLE,
            variables=example_variables(repo / EXAMPLE, self.app_key_arn),
            provider_aliases=example_aliases(repo / EXAMPLE),
        )
        return self.workspace

    def deploy(self) -> dict[str, Any]:
        assert self.workspace is not None
        self.stack = Stack(self.workspace, on_line=self.on_line)
        self.stack.init()
        self.stack.apply()
        self.outputs = self.stack.outputs()
        self.share_function = find_share_function(self.source)
        self.share_queue_url = queue_url_of(self.source, self.share_function.queue_arn)
        self.share_role_env = role_env(self.emulator, self._role_of(self.source, self.share_function))
        vault_queue_arn = self.vault("sqs", SOURCE_REGION).get_queue_attributes(
            QueueUrl=self.outputs["queue_url"], AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        self.copier = read_back_function(self.vault, self.outputs["function_name"], vault_queue_arn)
        self.copier_role_env = role_env(self.emulator, self._role_of(self.vault, self.copier))
        return self.outputs

    def _role_of(self, clients: AccountClients, function: DeployedFunction) -> str:
        return clients("lambda", SOURCE_REGION).get_function(FunctionName=function.name)["Configuration"]["Role"]

    def package(self, function: DeployedFunction) -> DeployedPackage:
        if function.name not in self._packages:
            assert self.workspace is not None
            into = Path(tempfile.mkdtemp(prefix=f"{function.name}-", dir=self.workspace.root))
            self._packages[function.name] = DeployedPackage.unpack(self.workspace.package, function, into)
        return self._packages[function.name]

    # -- 2. the source account's databases and snapshots --------------------------------------------------
    def create_sources(self) -> list[Original]:
        self.originals = create_originals(self.source, self.app_key_arn)
        # The vault's own network in the destination, which a restore there uses (the drill's flags).
        self.vault_security_group = create_network(self.vault, DESTINATION_REGION)
        self.shared = [Shared(o) for o in self.originals]
        return self.originals

    # -- 3./4. the source side on RDS's events -------------------------------------------------------------
    def _run_share_function(self, expected: int) -> ShareRun:
        env = {**self.share_role_env, **self.recording_env.get("share", {})}
        batches = consume_queue(
            self.source,
            self.emulator,
            self.package(self.share_function),
            self.share_function,
            self.share_queue_url,
            expected=expected,
            extra_env=env,
        )
        return ShareRun(batches, queue_depth(self.vault, self.outputs["queue_url"]))

    def share_originals(self) -> ShareRun:
        """RDS's created events on the source account's default bus; its rule routes them to the source side's
        queue; the share function handles them: shares as-is, or starts a share copy."""
        for original in self.originals:
            put_rds_event(self.source, original.snapshot, original.event_id)
        run = self._run_share_function(expected=len(self.originals))
        self._find_shared()
        return run

    def share_share_copies(self) -> tuple[list[SourceSnapshot], ShareRun]:
        """The share copies' own created events (RDS's, for a manual snapshot): the share function shares them
        with the vault and tells the vault's queue."""
        copies = share_copies(self.source)
        for copy in copies:
            put_rds_event(self.source, copy, copy.created_event_id)
        run = self._run_share_function(expected=len(copies))
        self._find_shared()
        return copies, run

    def share_copies_started(self) -> list[SourceSnapshot]:
        """The source side's share copies, each with its tags (source_snapshot_arn names its original)."""
        rds = self.source("rds", SOURCE_REGION)
        found = []
        for copy in share_copies(self.source):
            tags = rds.list_tags_for_resource(ResourceName=copy.arn)["TagList"]
            found.append(replace(copy, tags={t["Key"]: t.get("Value", "") for t in tags}))
        return found

    def _find_shared(self) -> None:
        """Which snapshot stands for each original in the vault: itself when shared with the vault, else the
        share copy whose source_snapshot_arn tag names it."""
        by_origin = {
            c.tags["source_snapshot_arn"]: c for c in self.share_copies_started() if "source_snapshot_arn" in c.tags
        }
        for entry in self.shared:
            copy = by_origin.get(entry.original.snapshot.arn)
            if copy is not None and VAULT_ACCOUNT in (restore_accounts(self.source, copy) or []):
                entry.shared = copy
            elif VAULT_ACCOUNT in (restore_accounts(self.source, entry.original.snapshot) or []):
                entry.shared = entry.original.snapshot

    # -- 5. the vault's copier ------------------------------------------------------------------------------
    def copy_in_vault(self, expected: int) -> list[HandledBatch]:
        env = {**self.copier_role_env, **self.recording_env.get("copier", {})}
        return consume_queue(
            self.vault,
            self.emulator,
            self.package(self.copier),
            self.copier,
            self.outputs["queue_url"],
            expected=expected,
            extra_env=env,
        )

    def vault_copies(self) -> list[tuple[Shared, VaultCopy | None]]:
        return [(s, vault_copy(self.vault, s.shared) if s.shared else None) for s in self.shared]

    # -- 6. an account the vault does not list ----------------------------------------------------------------
    def stranger_refused(self) -> tuple[SourceSnapshot, list[dict[str, Any]], VaultCopy | None]:
        """A snapshot of STRANGER_ACCOUNT, shared with the vault, its RDS event put on the vault's queue from
        inside the vault account (the queue's policy keeps other accounts out; the copier is the second gate):
        dead-lettered with its reason, nothing copied."""
        stranger = AccountClients(self.emulator, STRANGER_ACCOUNT)
        snapshot = create_stranger_share(stranger)
        event = rds_created_event(snapshot, STRANGER_ACCOUNT, "RDS-EVENT-0042")
        self.vault("sqs", SOURCE_REGION).send_message(QueueUrl=self.outputs["queue_url"], MessageBody=json.dumps(event))
        self.copy_in_vault(expected=1)
        return (
            snapshot,
            dead_letters(self.vault, self.outputs["dead_letter_queue_url"]),
            vault_copy(self.vault, snapshot),
        )

    # -- 7. the source side's clean-up ----------------------------------------------------------------------
    def clean_up(self) -> tuple[dict[str, Any], str]:
        """The share function on its schedule's event: unshare what the vault holds, delete the share copies."""
        env = {**self.share_role_env, **self.recording_env.get("share", {})}
        return run_handler(
            self.package(self.share_function), self.share_function, self.emulator, scheduled_event(SOURCE_ACCOUNT), env
        )

    def source_state(self) -> list[dict[str, Any]]:
        """Per original: its restore attribute, and its share copy's (None: gone)."""
        rows = []
        for entry in self.shared:
            row: dict[str, Any] = {
                "original": entry.original.snapshot,
                "restore": restore_accounts(self.source, entry.original.snapshot),
                "share_copy": None,
                "share_copy_exists": False,
            }
            if entry.shared is not None and entry.shared.arn != entry.original.snapshot.arn:
                row["share_copy"] = entry.shared
                row["share_copy_exists"] = exists(self.source, SOURCE_REGION, entry.shared)
            rows.append(row)
        return rows

    def reconciler(self) -> DeployedFunction:
        return read_back_scheduled_function(self.vault, self.outputs["reconcile_function_name"])

    def drill_args(self, report: Path) -> tuple[str, ...]:
        """`rds-snapshot-copy drill` in the vault: its databases live in the source account, so the vault's own
        network and an instance class are given (as a DR runbook for the backup account would give them)."""
        return (
            "drill",
            "orders-db",
            "ledger-aurora",
            "--function",
            self.outputs["reconcile_function_name"],
            "--db-subnet-group",
            NETWORK_NAME,
            "--security-group-ids",
            self.vault_security_group,
            "--instance-class",
            DRILL_INSTANCE_CLASS,
            "--report",
            str(report),
        )
