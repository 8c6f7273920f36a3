"""The year in the backup-account mode (`python -m bench.year --mode backup-account`): the fleet is a source
account's, the real source-side function (`snapshot_copy.sharing.handler.handle`) shares its snapshots with
the vault, and the vault (this deployment: the copier, the reconciler and the pruner of the single-account
year, with SOURCE_ACCOUNT_IDS) copies what is shared, across accounts and regions in one call.

The source side as modules/source-account deploys it: RDS's created events go through EventBridge (the year's
event faults: lost, duplicated, late, none in the outage) to its queue (visibility 6 x its 300 s timeout, five
receives, then its dead-letter queue: a bare redrive, no reason), read by an event source mapping (batches of
10, two at once, ReportBatchItemFailures); the clean-up runs hourly (none in the outage). Its RDS
(`SourceAccountRds`): the fleet's snapshots and the share copies, both kinds; an in-region copy under the
share key takes 5 minutes plus size / 1,000 GB/h (lognormal factor, sigma 0.3), counts against the source
account's manual snapshot quota (SOURCE_QUOTA a kind, raised as an operator would), and RDS's created event of
the share copy goes out when it is available; restore attributes; deletes. The vault's reader role reads the
vault's copies (`VaultReader`); the function's messages reach the vault's queue (`VaultQueueClient`).
A database the source account deletes is excluded in the vault's source_filter by the operator 36 hours
later (`BackupSide.source_deleted`): the vault cannot see that it is gone.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections import Counter
from typing import Any

from snapshot_copy.events import snapshot_created_event
from snapshot_copy.kinds import KINDS
from snapshot_copy.runtime import Runtime
from snapshot_copy.sharing import handler as sharing
from snapshot_copy.sharing.config import ShareConfig

from .fake_aws import CallStats, FakeClient, client_error, strict
from .fake_rds import ACCOUNT, paged
from .fake_sqs import DeadLetterQueue, Queue
from .year_faults import DAY, HOUR
from .year_world import DESTINATION_REGION, SOURCE_REGION, Snap, World

SOURCE_ACCOUNT = "210987654321"
SHARE_KEY = f"arn:aws:kms:{SOURCE_REGION}:{SOURCE_ACCOUNT}:key/5a5a5a5a-0000-4000-8000-000000000001"
SHARE_DEPLOYMENT = "rds-snapshot-share"
SHARE_FUNCTION = f"{SHARE_DEPLOYMENT}-{SOURCE_REGION}"
SHARE_TIMEOUT = 300  # the source module's `timeout`
SHARE_MAX_RECEIVES = 5  # its queue's maxReceiveCount
SOURCE_QUOTA = 2000  # the source account's manual snapshot quota per kind (share copies count)
SHARE_COPY_GB_PER_HOUR = 1000.0
CLEANUP_OFFSET_MINUTES = 40.0
RETIRE_AFTER_HOURS = 36.0


def share_config(vault_queue_url: str) -> ShareConfig:
    """The source side's settings as modules/source-account deploys them, with one vault: this deployment."""
    vault = {
        "account_id": ACCOUNT,
        "queue_url": vault_queue_url,
        "reader_role_arn": f"arn:aws:iam::{ACCOUNT}:role/rds-snapshot-copy-vault-reader",
        "destination_region": DESTINATION_REGION,
        "deployment_name": "rds-snapshot-copy",
        "copier_role_arn": f"arn:aws:iam::{ACCOUNT}:role/rds-snapshot-copy",
    }
    env = {
        "DEPLOYMENT_NAME": SHARE_DEPLOYMENT,
        "SOURCE_REGION": SOURCE_REGION,
        "VAULTS": json.dumps([vault]),
        "SHARE_KMS_KEY_ID": SHARE_KEY,
        "SHARE_TIMEOUT_DAYS": "7",
    }
    return ShareConfig.from_env(env)


class SourceAccountRds(FakeClient):
    """RDS in the source account's region as the source side's role sees it, over the year's world."""

    def __init__(self, world: World, share: Any, *args: Any) -> None:
        super().__init__("rds-source-account", *args, latency=(0.05, 0.25))
        self.world = world
        self.share = share  # the BackupSide: share copies' durations, their events, the ground truth

    def _find(self, kind: str, wanted: str, operation: str) -> Snap:
        snap = self.world.by_arn.get(wanted) or self.world.snaps[kind].get(wanted)
        if snap is None or snap.account != SOURCE_ACCOUNT:
            code = "DBSnapshotNotFound" if kind == "db" else "DBClusterSnapshotNotFoundFault"
            raise client_error(code, f"{wanted} not found.", operation, 404)
        return snap

    def _describe(self, kind: str, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        table = KINDS[kind]
        if table.identifier_key in kwargs:
            strict(operation, kwargs, {table.identifier_key})
            return self._call(
                f"{operation}[id]",
                operation,
                lambda: {table.answer_key: [dict(self._find(kind, kwargs[table.identifier_key], operation).view)]},
            )
        strict(operation, kwargs, {"SnapshotType", "MaxRecords", "Marker"})

        def listing() -> dict[str, Any]:
            wanted = kwargs.get("SnapshotType")
            found = [
                s
                for s in self.world.snaps[kind].values()
                if s.account == SOURCE_ACCOUNT and wanted in (None, s.view["SnapshotType"])
            ]
            page = {k: v for k, v in kwargs.items() if k in ("MaxRecords", "Marker")}
            return paged(found, table.answer_key, operation, view=lambda s: s.view, **page)

        return self._call(f"{operation}[list]", operation, listing)

    def describe_db_snapshots(self, **kwargs: Any) -> dict[str, Any]:
        return self._describe("db", "DescribeDBSnapshots", kwargs)

    def describe_db_cluster_snapshots(self, **kwargs: Any) -> dict[str, Any]:
        return self._describe("cluster", "DescribeDBClusterSnapshots", kwargs)

    def _copy(self, kind: str, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        table = KINDS[kind]
        strict(operation, kwargs, {table.copy_source_param, table.copy_target_param, "KmsKeyId", "Tags"})

        def answer() -> dict[str, Any]:
            original = self._find(kind, kwargs[table.copy_source_param], operation)
            target = kwargs[table.copy_target_param]
            if target in self.world.snaps[kind]:
                code = "DBSnapshotAlreadyExists" if kind == "db" else "DBClusterSnapshotAlreadyExistsFault"
                raise client_error(code, f"Snapshot {target} already exists.", operation)
            if self.share.manual_count(kind) >= SOURCE_QUOTA:
                self.share.counts[f"{kind}:source_manual_snapshot_quota"] += 1
                raise client_error("SnapshotQuotaExceeded", f"Cannot create more than {SOURCE_QUOTA}", operation)
            return {table.answer_key[:-1]: dict(self.share.start_share_copy(original, target, kwargs).view)}

        return self._call(operation, operation, answer, ghost=True)

    def copy_db_snapshot(self, **kwargs: Any) -> dict[str, Any]:
        return self._copy("db", "CopyDBSnapshot", kwargs)

    def copy_db_cluster_snapshot(self, **kwargs: Any) -> dict[str, Any]:
        return self._copy("cluster", "CopyDBClusterSnapshot", kwargs)

    def _attributes(self, kind: str, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        table = KINDS[kind]
        strict(operation, kwargs, {table.identifier_key})
        prefix = "DBSnapshot" if kind == "db" else "DBClusterSnapshot"

        def answer() -> dict[str, Any]:
            snap = self._find(kind, kwargs[table.identifier_key], operation)
            restore = {"AttributeName": "restore", "AttributeValues": sorted(snap.shared_with)}
            return {f"{prefix}AttributesResult": {f"{prefix}Attributes": [restore]}}

        return self._call(operation, operation, answer)

    def describe_db_snapshot_attributes(self, **kwargs: Any) -> dict[str, Any]:
        return self._attributes("db", "DescribeDBSnapshotAttributes", kwargs)

    def describe_db_cluster_snapshot_attributes(self, **kwargs: Any) -> dict[str, Any]:
        return self._attributes("cluster", "DescribeDBClusterSnapshotAttributes", kwargs)

    def _modify(self, kind: str, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        table = KINDS[kind]
        strict(operation, kwargs, {table.identifier_key, "AttributeName", "ValuesToAdd", "ValuesToRemove"})

        def answer() -> dict[str, Any]:
            snap = self._find(kind, kwargs[table.identifier_key], operation)
            if snap.view["SnapshotType"] != "manual":
                raise client_error("InvalidParameterValue", "only manual snapshots can be shared", operation)
            added = set(kwargs.get("ValuesToAdd") or ()) - snap.shared_with
            if added and self.share._cleanup_task is not None and self.sim._current is self.share._cleanup_task:
                self.share.counts["shared_by_cleanup"] += 1  # a lost share copy event, or a customer's snapshot
            snap.shared_with |= set(kwargs.get("ValuesToAdd") or ())
            snap.shared_with -= set(kwargs.get("ValuesToRemove") or ())
            self.world._changed("source", kind)
            return {}

        return self._call(operation, operation, answer)

    def modify_db_snapshot_attribute(self, **kwargs: Any) -> dict[str, Any]:
        return self._modify("db", "ModifyDBSnapshotAttribute", kwargs)

    def modify_db_cluster_snapshot_attribute(self, **kwargs: Any) -> dict[str, Any]:
        return self._modify("cluster", "ModifyDBClusterSnapshotAttribute", kwargs)

    def _delete(self, kind: str, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        table = KINDS[kind]
        strict(operation, kwargs, {table.identifier_key})

        def answer() -> dict[str, Any]:
            snap = self._find(kind, kwargs[table.identifier_key], operation)
            if snap.view["Status"] not in ("available", "failed"):
                code = "InvalidDBSnapshotState" if kind == "db" else "InvalidDBClusterSnapshotStateFault"
                raise client_error(code, f"{snap.identifier} is {snap.view['Status']}", operation)
            self.share.deleted(snap)
            return {table.answer_key[:-1]: dict(snap.view)}

        return self._call(operation, operation, answer)

    def delete_db_snapshot(self, **kwargs: Any) -> dict[str, Any]:
        return self._delete("db", "DeleteDBSnapshot", kwargs)

    def delete_db_cluster_snapshot(self, **kwargs: Any) -> dict[str, Any]:
        return self._delete("cluster", "DeleteDBClusterSnapshot", kwargs)


class VaultReader(FakeClient):
    """The vault's RDS in its destination region, as the reader role sees it: its copies, by identifier."""

    def __init__(self, world: World, *args: Any) -> None:
        super().__init__("rds-vault-reader", *args, latency=(0.05, 0.25))
        self.world = world

    def _describe(self, kind: str, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        table = KINDS[kind]
        strict(f"{operation} (vault reader)", kwargs, {table.identifier_key})

        def answer() -> dict[str, Any]:
            copy = self.world.copies[kind].get(kwargs[table.identifier_key])
            if copy is None:
                code = "DBSnapshotNotFound" if kind == "db" else "DBClusterSnapshotNotFoundFault"
                raise client_error(code, f"{kwargs[table.identifier_key]} not found.", operation, 404)
            return {table.answer_key: [dict(copy.view)]}

        return self._call(f"{operation}[id]", operation, answer)

    def describe_db_snapshots(self, **kwargs: Any) -> dict[str, Any]:
        return self._describe("db", "DescribeDBSnapshots", kwargs)

    def describe_db_cluster_snapshots(self, **kwargs: Any) -> dict[str, Any]:
        return self._describe("cluster", "DescribeDBClusterSnapshots", kwargs)


class VaultQueueClient(FakeClient):
    """sqs:SendMessage from the source side to the vault's queue (cross-account)."""

    def __init__(self, queue: Queue, *args: Any) -> None:
        super().__init__("sqs-vault", *args, latency=(0.01, 0.05))
        self.queue = queue

    def send_message(self, **kwargs: Any) -> dict[str, Any]:
        strict("send_message (vault queue)", kwargs, {"QueueUrl", "MessageBody"})

        def answer() -> dict[str, Any]:
            body = kwargs["MessageBody"]
            self.queue.send(body, json.loads(body)["detail"]["SourceArn"])
            return {"MessageId": f"m-{self.queue.in_queue()}"}

        return self._call("send_message", "SendMessage", answer)


class BackupSide:
    """The source account and its function, for YearRun (year_run.py) in the backup-account mode."""

    def __init__(self, run: Any) -> None:
        self.run = run
        self.sim, self.world, s = run.sim, run.world, run.s
        self.world.fleet_account = SOURCE_ACCOUNT
        self.rng = random.Random(s.seed + 11)
        self.stats = CallStats()
        self.counts: Counter[str] = Counter()  # what happened on the source side, for the figures
        self.foreign_deletions: list[str] = []
        self._cleanup_task: Any = None
        self.dlq = DeadLetterQueue(f"{SHARE_DEPLOYMENT}-dlq", SOURCE_REGION)
        self.queue = Queue(
            self.sim, f"{SHARE_DEPLOYMENT}-events", SOURCE_REGION, 6 * SHARE_TIMEOUT, SHARE_MAX_RECEIVES, self.dlq
        )
        args = (self.sim, self.stats, self.rng, run.faults)
        self.rds = SourceAccountRds(self.world, self, *args)
        self.rds.down = run._outage_down
        sqs = VaultQueueClient(run.queue, *args)
        sqs.down = run._outage_down
        reader = VaultReader(self.world, *args)
        self.clients = sharing.Clients(self.rds, sqs, lambda vault: reader)
        self.config = share_config(run.queue.url)
        self.mapping = run._mapping(self.queue, self._invoke)
        t = CLEANUP_OFFSET_MINUTES * 60
        while t < run.end + s.drain_days * DAY:
            self.sim.at(t, self._cleanup_tick)
            t += HOUR

    def manual_count(self, kind: str) -> int:
        return sum(1 for s in self.world.snaps[kind].values() if s.view["SnapshotType"] == "manual")

    # -- the function -----------------------------------------------------------------------------------------
    def _invoke(self, event: dict[str, Any]) -> Any:
        sim, started = self.sim, self.sim.now
        sim.sleep(0.02)
        runtime = Runtime(
            function_name=SHARE_FUNCTION,
            clock=self.run.clock,
            sleep=sim.sleep,
            seconds_left=lambda: SHARE_TIMEOUT - (sim.now - started),
        )
        return sharing.handle(event, self.config, self.clients, runtime)

    def _cleanup_tick(self) -> None:
        if self.run._scheduled_off():
            self.counts["cleanup_skipped"] += 1
            return
        event = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}

        def cleanup() -> Any:
            self._cleanup_task = self.sim._current  # what it starts or shares is the catch-up's (or a crash's)
            try:
                return self._invoke(event)
            finally:
                self._cleanup_task = None

        self.sim.spawn(cleanup, self._cleanup_done)

    def _cleanup_done(self, task: Any) -> None:
        if task.error is not None:
            raise RuntimeError(f"the source side's clean-up failed unexpectedly: {task.error!r}") from task.error
        self.counts["cleanup_runs"] += 1
        self.counts[f"cleanup_{task.result['status']}"] += 1

    # -- RDS's side of it -------------------------------------------------------------------------------------
    def deliver(self, snap: Snap, body: str) -> None:
        """RDS's created event of a fleet's snapshot or of a share copy, through EventBridge to the source
        side's queue, with the year's event faults."""
        self.run._deliver_body(snap, body, lambda: self.queue.send(body, snap.arn))

    def start_share_copy(self, original: Snap, target: str, params: dict[str, Any]) -> Snap:
        kind, table, world = original.kind, KINDS[original.kind], self.world
        arn = table.arn("aws", SOURCE_REGION, SOURCE_ACCOUNT, target)
        view = {
            **{k: v for k, v in original.view.items() if k != "TagList"},
            table.identifier_key: target,
            table.arn_key: arn,
            "SnapshotType": "manual",
            "Status": "creating",
            "KmsKeyId": params.get("KmsKeyId") or original.view.get("KmsKeyId"),
            "TagList": list(params.get("Tags") or []),
        }
        if kind == "db":  # a DB snapshot's copy keeps the data's time; a cluster snapshot's is its own
            view["OriginalSnapshotCreateTime"] = original.view.get(
                "OriginalSnapshotCreateTime", original.view["SnapshotCreateTime"]
            )
            view["SourceDBSnapshotIdentifier"] = original.arn
        else:
            view["SnapshotCreateTime"] = world.when(self.sim.now)
            view["SourceDBClusterSnapshotArn"] = original.arn
        snap = Snap(kind, target, arn, original.source, original.taken, view, SOURCE_ACCOUNT, original.arn)
        world.add_snap(snap)
        world.origin_of[arn] = original.arn
        self.counts["share_copies_started"] += 1
        if self._cleanup_task is not None and self.sim._current is self._cleanup_task:
            self.counts["share_copies_started_by_cleanup"] += 1  # the catch-up of a lost event
        used = self.manual_count(kind)
        self.counts[f"{kind}:source_quota_peak"] = max(self.counts[f"{kind}:source_quota_peak"], used)
        size = world.sources[original.source].size_gb
        seconds = (300 + size / SHARE_COPY_GB_PER_HOUR * 3600) * self.rng.lognormvariate(0.0, 0.3)
        self.sim.at(self.sim.now + seconds, lambda: self._available(snap))
        return snap

    def _available(self, snap: Snap) -> None:
        if self.world.snaps[snap.kind].get(snap.identifier) is not snap:
            return
        snap.view["Status"] = "available"
        event = snapshot_created_event(
            snap.arn, snap.kind, "manual", snap.view["SnapshotCreateTime"], self.world.when(self.sim.now)
        )
        self.deliver(snap, json.dumps(event))

    def deleted(self, snap: Snap) -> None:
        """A delete by the source side: only its own share copies may go (the invariant 'deleted')."""
        if snap.origin is None:
            self.foreign_deletions.append(snap.arn)
            self.run.rec.violate("deleted", f"the source side deleted {snap.arn}, which it did not make")
        self.counts["share_copies_deleted"] += 1
        self.world.expire_source_snapshot(snap)

    def source_deleted(self, identifier: str) -> None:
        """A database of the source account was deleted. The vault cannot list another account's databases,
        so its reconciler watches the source for as long as it holds copies of it (keep_last: for good), and
        the recovery point alarm fires a day on. The operator's step (docs/backup-account.md): exclude it in
        the vault's source_filter; done RETIRE_AFTER_HOURS after the deletion (the alarm, then the next
        working morning)."""

        def retire() -> None:
            config = self.run.reconciler_config
            excluded = (*config.source_filter.exclude_identifiers, identifier)
            source_filter = dataclasses.replace(config.source_filter, exclude_identifiers=excluded)
            self.run.reconciler_config = dataclasses.replace(config, source_filter=source_filter)
            self.counts["sources_excluded_by_the_operator"] += 1

        if getattr(self.run, "reconciler_config", None) is not None:
            self.sim.at(self.sim.now + RETIRE_AFTER_HOURS * HOUR, retire)

    def figures(self) -> dict[str, Any]:
        return {
            "source_account": SOURCE_ACCOUNT,
            "events": dict(self.counts),
            "dead_letters": len(self.dlq.entries),
            "foreign_deletions": len(self.foreign_deletions),
            "api_calls": self.stats.total_requests(),
            "manual_snapshot_quota": SOURCE_QUOTA,
        }
