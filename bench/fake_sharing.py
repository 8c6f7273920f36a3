"""The source account's RDS as the source side's function sees it (bench/burst_backup.py), the vault as its
reader role sees it, and the vault's queue: the calls `snapshot_copy.sharing` makes, with the fake_aws
latencies, injected faults and botocore-like retries, on the simulated clock.

RDS in the source region: describe a DB snapshot by identifier or ARN, list manual ones (Marker pages),
its restore attribute (describe/modify, at most 20 accounts), an in-region copy under another key (a share
copy: `creating`, then `available` after its drawn duration, when RDS's created event for it goes out; refused
with SnapshotQuotaExceeded at the account's manual snapshot quota, which share copies count toward; no limit
on in-region copies in progress is modelled: none is documented),
delete, tags. The burst has no Aurora: the cluster listings are empty. Errors are botocore ClientErrors with
RDS's codes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .fake_aws import CallStats, FakeClient, Faults, client_error, strict
from .fake_rds import paged
from .sim import Sim

MAX_SHARED_ACCOUNTS = 20


class SharingRds(FakeClient):
    """RDS in the source account's region, for the share function."""

    def __init__(
        self,
        sim: Sim,
        stats: CallStats,
        rng: random.Random,
        faults: Faults,
        *,
        region: str,
        account: str,
        epoch: float,
        copy_duration: Callable[[str], float],
        on_available: Callable[[dict[str, Any]], None],
        manual_quota: int,
    ) -> None:
        super().__init__("rds-source", sim, stats, rng, faults)
        self.region = region
        self.account = account
        self.epoch = epoch
        self.copy_duration = copy_duration
        self.on_available = on_available
        self.manual_quota = manual_quota  # the account's manual snapshot quota in the region (share copies count)
        self.refusals = 0
        self.snapshots: dict[str, dict[str, Any]] = {}  # identifier -> RDS's view
        self.restore: dict[str, list[str]] = {}
        self.in_progress = 0
        self.max_in_progress = 0
        self.copies_started = 0
        self.deleted: list[str] = []

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.epoch + self.sim.now, UTC)

    def arn(self, identifier: str) -> str:
        return f"arn:aws:rds:{self.region}:{self.account}:snapshot:{identifier}"

    def add_snapshot(self, identifier: str, snapshot_type: str, kms_key: str, created: datetime) -> dict[str, Any]:
        view = {
            "DBSnapshotIdentifier": identifier,
            "DBSnapshotArn": self.arn(identifier),
            "DBInstanceIdentifier": identifier.removeprefix("rds:").rsplit("-", 5)[0],
            "SnapshotType": snapshot_type,
            "Status": "available",
            "Encrypted": True,
            "KmsKeyId": kms_key,
            "Engine": "postgres",
            "OptionGroupName": "default:postgres-16",
            "SnapshotCreateTime": created,
            "OriginalSnapshotCreateTime": created,
            "TagList": [{"Key": "team", "Value": "data"}],
        }
        self.snapshots[identifier] = view
        return view

    def _find(self, identifier: str, operation: str) -> dict[str, Any]:
        # arn:aws:rds:<region>:<account>:snapshot:<identifier>, whose identifier may hold a colon (rds:...)
        name = identifier.split(":", 6)[6] if identifier.startswith("arn:") else identifier
        found = self.snapshots.get(name)
        if found is None:
            raise client_error("DBSnapshotNotFound", f"DBSnapshot {identifier} not found.", operation, 404)
        return found

    # -- describe ---------------------------------------------------------------------------------------------
    def describe_db_snapshots(self, **kwargs: Any) -> dict[str, Any]:
        if "DBSnapshotIdentifier" in kwargs:
            strict("describe_db_snapshots (sharing)", kwargs, {"DBSnapshotIdentifier"})
            return self._call(
                "describe_db_snapshots[id]",
                "DescribeDBSnapshots",
                lambda: {"DBSnapshots": [dict(self._find(kwargs["DBSnapshotIdentifier"], "DescribeDBSnapshots"))]},
            )
        strict("describe_db_snapshots (sharing)", kwargs, {"SnapshotType", "MaxRecords", "Marker"})

        def listing() -> dict[str, Any]:
            kind = kwargs.get("SnapshotType")
            views = [v for v in self.snapshots.values() if kind is None or v["SnapshotType"] == kind]
            page = {k: v for k, v in kwargs.items() if k in ("MaxRecords", "Marker")}
            return paged(views, "DBSnapshots", "DescribeDBSnapshots", view=dict, **page)

        return self._call("describe_db_snapshots[list]", "DescribeDBSnapshots", listing)

    def describe_db_cluster_snapshots(self, **kwargs: Any) -> dict[str, Any]:
        strict("describe_db_cluster_snapshots (sharing)", kwargs, {"SnapshotType", "MaxRecords", "Marker"})
        return self._call(
            "describe_db_cluster_snapshots[list]",
            "DescribeDBClusterSnapshots",
            lambda: {"DBClusterSnapshots": []},
        )

    def list_tags_for_resource(self, **kwargs: Any) -> dict[str, Any]:
        strict("list_tags_for_resource (sharing)", kwargs, {"ResourceName"})
        return self._call(
            "list_tags_for_resource",
            "ListTagsForResource",
            lambda: {"TagList": list(self._find(kwargs["ResourceName"], "ListTagsForResource")["TagList"])},
        )

    # -- the restore attribute -----------------------------------------------------------------------------------
    def describe_db_snapshot_attributes(self, **kwargs: Any) -> dict[str, Any]:
        strict("describe_db_snapshot_attributes", kwargs, {"DBSnapshotIdentifier"})

        def answer() -> dict[str, Any]:
            identifier = self._find(kwargs["DBSnapshotIdentifier"], "DescribeDBSnapshotAttributes")[
                "DBSnapshotIdentifier"
            ]
            values = list(self.restore.get(identifier, []))
            return {
                "DBSnapshotAttributesResult": {
                    "DBSnapshotIdentifier": identifier,
                    "DBSnapshotAttributes": [{"AttributeName": "restore", "AttributeValues": values}],
                }
            }

        return self._call("describe_db_snapshot_attributes", "DescribeDBSnapshotAttributes", answer)

    def modify_db_snapshot_attribute(self, **kwargs: Any) -> dict[str, Any]:
        strict(
            "modify_db_snapshot_attribute",
            kwargs,
            {"DBSnapshotIdentifier", "AttributeName", "ValuesToAdd", "ValuesToRemove"},
        )

        def answer() -> dict[str, Any]:
            operation = "ModifyDBSnapshotAttribute"
            view = self._find(kwargs["DBSnapshotIdentifier"], operation)
            if kwargs["AttributeName"] != "restore":
                raise client_error("InvalidParameterValue", "only restore is modelled", operation)
            if view["SnapshotType"] != "manual":
                raise client_error("InvalidParameterValue", "Only manual snapshots may be shared.", operation)
            values = self.restore.setdefault(view["DBSnapshotIdentifier"], [])
            for account in kwargs.get("ValuesToAdd") or []:
                if account not in values:
                    values.append(account)
            for account in kwargs.get("ValuesToRemove") or []:
                if account in values:
                    values.remove(account)
            if len(values) > MAX_SHARED_ACCOUNTS:
                raise client_error("SharedSnapshotQuotaExceeded", "more than 20 accounts", operation)
            return {"DBSnapshotAttributesResult": {}}

        return self._call("modify_db_snapshot_attribute", "ModifyDBSnapshotAttribute", answer)

    # -- share copies --------------------------------------------------------------------------------------------
    def copy_db_snapshot(self, **kwargs: Any) -> dict[str, Any]:
        strict(
            "copy_db_snapshot (sharing)",
            kwargs,
            {"SourceDBSnapshotIdentifier", "TargetDBSnapshotIdentifier", "KmsKeyId", "Tags"},
        )
        return self._call("copy_db_snapshot", "CopyDBSnapshot", lambda: self._copy(**kwargs), ghost=True)

    def _copy(
        self,
        SourceDBSnapshotIdentifier: str,
        TargetDBSnapshotIdentifier: str,
        KmsKeyId: str | None = None,
        Tags: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        operation = "CopyDBSnapshot"
        source = self._find(SourceDBSnapshotIdentifier, operation)
        target = TargetDBSnapshotIdentifier
        if target in self.snapshots:
            raise client_error(
                "DBSnapshotAlreadyExists",
                f"Cannot create the snapshot because a snapshot with the identifier {target} already exists.",
                operation,
            )
        if sum(1 for v in self.snapshots.values() if v["SnapshotType"] == "manual") >= self.manual_quota:
            self.refusals += 1
            raise client_error(
                "SnapshotQuotaExceeded", f"Cannot create more than {self.manual_quota} manual snapshots", operation
            )
        view = {
            **{k: v for k, v in source.items() if k != "TagList"},
            "DBSnapshotIdentifier": target,
            "DBSnapshotArn": self.arn(target),
            "SourceDBSnapshotIdentifier": source["DBSnapshotArn"],
            "SnapshotType": "manual",
            "Status": "creating",
            "KmsKeyId": KmsKeyId or source["KmsKeyId"],
            "SnapshotCreateTime": self.now(),
            "TagList": list(Tags or []),
        }
        self.snapshots[target] = view
        self.in_progress += 1
        self.copies_started += 1
        self.max_in_progress = max(self.max_in_progress, self.in_progress)
        self.sim.at(self.sim.now + self.copy_duration(source["DBSnapshotArn"]), lambda: self._available(view))
        return {"DBSnapshot": dict(view)}

    def _available(self, view: dict[str, Any]) -> None:
        if view["DBSnapshotIdentifier"] not in self.snapshots:
            return
        view["Status"] = "available"
        self.in_progress -= 1
        self.on_available(view)

    def delete_db_snapshot(self, **kwargs: Any) -> dict[str, Any]:
        strict("delete_db_snapshot (sharing)", kwargs, {"DBSnapshotIdentifier"})

        def answer() -> dict[str, Any]:
            view = self._find(kwargs["DBSnapshotIdentifier"], "DeleteDBSnapshot")
            del self.snapshots[view["DBSnapshotIdentifier"]]
            self.restore.pop(view["DBSnapshotIdentifier"], None)
            self.deleted.append(view["DBSnapshotIdentifier"])
            return {"DBSnapshot": dict(view)}

        return self._call("delete_db_snapshot", "DeleteDBSnapshot", answer)


class VaultReader(FakeClient):
    """The vault's RDS in its destination region, as the reader role sees it: every copy the source side asks
    about is there and available (the vault's copy step is the single-account burst's), tagged with the shared
    snapshot's ARN."""

    def __init__(self, sim: Sim, stats: CallStats, rng: random.Random, faults: Faults, shared_arn_of: Any) -> None:
        super().__init__("rds-vault-reader", sim, stats, rng, faults)
        self.shared_arn_of = shared_arn_of  # target identifier -> the shared snapshot's ARN (None: no copy)

    def describe_db_snapshots(self, **kwargs: Any) -> dict[str, Any]:
        strict("describe_db_snapshots (vault reader)", kwargs, {"DBSnapshotIdentifier"})
        identifier = kwargs["DBSnapshotIdentifier"]

        def answer() -> dict[str, Any]:
            arn = self.shared_arn_of(identifier)
            if arn is None:
                raise client_error("DBSnapshotNotFound", f"DBSnapshot {identifier} not found.", "DescribeDBSnapshots")
            tags = [{"Key": "source_snapshot_arn", "Value": arn}]
            return {"DBSnapshots": [{"DBSnapshotIdentifier": identifier, "Status": "available", "TagList": tags}]}

        return self._call("describe_db_snapshots[id]", "DescribeDBSnapshots", answer)


class VaultQueue(FakeClient):
    """sqs:SendMessage to the vault's queue (cross-account): when each shared snapshot's message arrived."""

    def __init__(self, sim: Sim, stats: CallStats, rng: random.Random, faults: Faults) -> None:
        super().__init__("sqs-vault", sim, stats, rng, faults, latency=(0.01, 0.05))
        self.sent: list[tuple[float, str]] = []  # (when, the shared snapshot's ARN)

    def send_message(self, **kwargs: Any) -> dict[str, Any]:
        import json

        strict("send_message (vault queue)", kwargs, {"QueueUrl", "MessageBody"})

        def answer() -> dict[str, Any]:
            arn = json.loads(kwargs["MessageBody"])["detail"]["SourceArn"]
            self.sent.append((self.sim.now, arn))
            return {"MessageId": f"m-{len(self.sent)}"}

        return self._call("send_message", "SendMessage", answer)
