"""The pruner (lambda/prune_snapshots.py) against moto: both kinds, keep_last, retention, the dry run,
untagged and foreign copies, copies in progress, paging past 100, the time budget, the quota metrics.

MOTO GAPS: every snapshot moto makes is `available` and taken "now"; the tests set status and creation
time on moto's destination backend (harness.destination_backend). moto's Service Quotas knows only VPC's
quotas, so the quota falls back to AWS's documented default there; Stubber supplies an applied value.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import prune_snapshots
import pytest
from botocore.stub import Stubber

from rds_snapshot_copy.demo.emulator import patch_service_quotas
from snapshot_copy.errors import ConfigurationError
from snapshot_copy.kinds import KINDS
from snapshot_copy.naming import target_identifier
from tests.iam.recording import calls_of

from .harness import ACCOUNT, DESTINATION_REGION, SOURCE_REGION, destination_backend, metric_records
from .paging import pages_like_rds

NOW = datetime.now(UTC)
OTHER_REGION = "eu-west-3"
# DEPLOYMENT_NAME's default (the module's default name), and the tags of copy_tags.json the copier writes
# since 0.5 (spelled out: the tests also run against 0.4.0, where they did not exist).
DEPLOYMENT = "rds-snapshot-copy"
TAG_DEPLOYMENT = "snapshot_copy_deployment"
TAG_SOURCE_TIME = "source_snapshot_time"


class Context:
    function_name = "rds-snapshot-copy-prune"

    def __init__(self, remaining_ms: int = 300_000) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture(autouse=True)
def _moto_lists_no_service_quotas() -> None:
    patch_service_quotas()  # MOTO GAP: see rds_snapshot_copy.demo.emulator.patch_moto


@pytest.fixture
def prune_env(monkeypatch: pytest.MonkeyPatch, aws: None) -> dict[str, str]:
    env = {
        "SOURCE_REGION": SOURCE_REGION,
        "DESTINATION_REGION": DESTINATION_REGION,
        "RETENTION_DAYS": "35",
        "KEEP_LAST": "3",
        "DRY_RUN": "false",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DEPLOYMENT_NAME", raising=False)  # the default: the module's default name
    prune_snapshots.clients_for.cache_clear()
    yield env
    prune_snapshots.clients_for.cache_clear()


def run(context: Context | None = None) -> dict[str, Any]:
    with calls_of("pruner"):
        return prune_snapshots.lambda_handler({"source": "aws.events"}, context or Context())


class Destination:
    """Snapshots in the destination region, shaped like the copier's copies (or not). A copy is made under
    the identifier the copier gives it (naming.target_identifier of its source ARN) and named in the tests by
    its source snapshot's name (`named`, `identifiers`)."""

    def __init__(self) -> None:
        self.rds = boto3.client("rds", region_name=DESTINATION_REGION)
        self._made: set[tuple[str, str]] = set()
        self._names: dict[str, str] = {}  # identifier -> the name a test gave it

    def _source(self, kind: str, name: str) -> None:
        if (kind, name) in self._made:
            return
        if kind == "cluster":
            self.rds.create_db_cluster(
                DBClusterIdentifier=name, Engine="aurora-postgresql", MasterUsername="u", MasterUserPassword="p" * 8
            )
        else:
            self.rds.create_db_instance(
                DBInstanceIdentifier=name,
                DBInstanceClass="db.t3.micro",
                Engine="postgres",
                AllocatedStorage=20,
                MasterUsername="u",
                MasterUserPassword="p" * 8,
            )
        self._made.add((kind, name))

    def copy(
        self,
        name: str,
        days_old: float,
        source: str = "orders",
        kind: str = "db",
        source_region: str | None = SOURCE_REGION,
        tagged: bool = True,
        status: str = "available",
        deployment: str | None = DEPLOYMENT,
        copied_days_ago: float | None = None,
        identifier: str | None = None,
    ) -> str:
        """A copy of source snapshot `name` whose data is `days_old`, made `copied_days_ago` (default: when
        its data was taken). `deployment` None: a 0.4.x copy (no deployment or source-time tag)."""
        self._source(kind, source)
        arn = f"arn:aws:rds:{source_region or SOURCE_REGION}:{ACCOUNT}:{KINDS[kind].arn_resource_type}:{name}"
        identifier = identifier or target_identifier(name, arn, kind)
        self._names[identifier] = name
        taken = NOW - timedelta(days=days_old)
        copied = taken if copied_days_ago is None else NOW - timedelta(days=copied_days_ago)
        tags = []
        if source_region is not None:
            tags.append({"Key": "source_region", "Value": source_region})
        if tagged:
            tags.append({"Key": "source_snapshot_arn", "Value": arn})
        if deployment is not None:
            tags.append({"Key": TAG_DEPLOYMENT, "Value": deployment})
            tags.append({"Key": TAG_SOURCE_TIME, "Value": taken.replace(microsecond=0).isoformat()})
        backend = destination_backend()
        if kind == "cluster":
            self.rds.create_db_cluster_snapshot(
                DBClusterIdentifier=source, DBClusterSnapshotIdentifier=identifier, Tags=tags
            )
            snapshot = backend.cluster_snapshots[identifier]
        else:
            self.rds.create_db_snapshot(DBInstanceIdentifier=source, DBSnapshotIdentifier=identifier, Tags=tags)
            snapshot = backend.database_snapshots[identifier]
            snapshot.original_snapshot_create_time = taken  # RDS keeps it through every copy
        snapshot.created = copied  # SnapshotCreateTime: a cluster copy's is when it was copied
        snapshot.status = status
        return identifier

    def named(self, identifiers: list[str]) -> list[str]:
        """The tests' names of these identifiers, sorted."""
        return sorted(self._names.get(i, i) for i in identifiers)

    def identifiers(self, kind: str = "db") -> set[str]:
        """What is in the destination, by the tests' names."""
        if kind == "cluster":
            found = self.rds.describe_db_cluster_snapshots(SnapshotType="manual")["DBClusterSnapshots"]
            return set(self.named([s["DBClusterSnapshotIdentifier"] for s in found]))
        found = self.rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]
        return set(self.named([s["DBSnapshotIdentifier"] for s in found]))


@pytest.fixture
def destination(prune_env: dict[str, str]) -> Destination:
    return Destination()


@pytest.mark.parametrize("kind", ["db", "cluster"])
def test_expired_copies_go_and_the_newest_keep_last_stay(kind: str, destination: Destination) -> None:
    ages = {"c0": 0, "c10": 10, "c20": 20, "c40": 40, "c50": 50, "c60": 60}
    for name, age in ages.items():
        destination.copy(name, age, kind=kind)
    result = run()
    assert destination.named(result["deleted"]) == ["c40", "c50", "c60"]
    assert destination.identifiers(kind) == {"c0", "c10", "c20"}
    assert result["kept"] == 3 and not result["dry_run"] and not result["incomplete"]


def test_keep_last_keeps_old_copies_of_a_quiet_source(
    destination: Destination, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A database that stopped taking snapshots keeps its last copies, however old: the next copy of it
    # is incremental only while the previous one is there.
    monkeypatch.setenv("KEEP_LAST", "2")
    for age in (100, 200, 300):
        destination.copy(f"quiet-{age}", age, source="quiet")
    destination.copy("busy-1", 1, source="busy")
    destination.copy("busy-90", 90, source="busy")
    destination.copy("busy-91", 91, source="busy")
    result = run()
    assert destination.named(result["deleted"]) == ["busy-91", "quiet-300"]


def test_a_dry_run_deletes_nothing_and_names_what_it_would(
    destination: Destination, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DRY_RUN", "true")
    for age in (1, 2, 3, 40, 50):
        destination.copy(f"d{age}", age)
    caplog.set_level(logging.INFO)
    result = run()
    assert destination.named(result["deleted"]) == ["d40", "d50"] and result["dry_run"]
    assert destination.identifiers() == {"d1", "d2", "d3", "d40", "d50"}
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("would delete d40") for m in messages)
    assert sum(m.startswith("keep ") for m in messages) == 3
    # The rule that expired each, in the result too.
    reasons = {destination.named([identifier])[0]: why for identifier, why in result["reasons"].items()}
    assert reasons == {
        "d40": "data 40.0 days old, older than the retention of 35 days",
        "d50": "data 50.0 days old, older than the retention of 35 days",
    }


def test_untagged_foreign_and_half_tagged_snapshots_are_never_touched(destination: Destination) -> None:
    destination.copy("someone-elses", 400, tagged=False, source_region=None)
    destination.copy("other-source-region", 400, source_region=OTHER_REGION)
    destination.copy("region-tag-only", 400, tagged=False)
    for age in (1, 2, 3):
        destination.copy(f"ours-{age}", age)
    result = run()
    assert result["deleted"] == []
    assert {"someone-elses", "other-source-region", "region-tag-only"} <= destination.identifiers()


def test_copies_in_progress_are_never_deleted_and_do_not_count_as_kept(destination: Destination) -> None:
    destination.copy("copying-old", 90, status="copying")
    for age in (40, 50, 60, 70):
        destination.copy(f"a{age}", age)
    result = run()
    # keep_last 3 counts available copies: a40, a50, a60 stay, a70 goes; the copy in progress stays.
    assert destination.named(result["deleted"]) == ["a70"]
    assert "copying-old" in destination.identifiers()


def test_paging_past_a_hundred(destination: Destination, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEEP_LAST", "1")
    for i in range(130):
        destination.copy(f"p{i:03d}", 40 + i)
    listings = pages_like_rds(prune_snapshots.clients_for(DESTINATION_REGION).rds, monkeypatch)
    result = run()
    assert len(result["deleted"]) == 129 and destination.identifiers() == {"p000"}
    # (The IAM recording harness looks up each deleted snapshot by identifier: not a listing.)
    listings = [p for p in listings if "DBSnapshotIdentifier" not in p]
    assert len(listings) >= 2 and any("Marker" in p for p in listings)
    assert all(p["MaxRecords"] == 100 for p in listings)


def test_the_time_budget_stops_deleting_and_says_so(destination: Destination) -> None:
    for age in (1, 2, 3, 40, 50):
        destination.copy(f"t{age}", age)
    result = run(Context(remaining_ms=5_000))
    assert result["deleted"] == [] and result["incomplete"]
    assert destination.identifiers() == {"t1", "t2", "t3", "t40", "t50"}


def test_without_retention_nothing_is_deleted_but_the_quota_is_measured(
    destination: Destination, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("RETENTION_DAYS")
    destination.copy("old", 999)
    capsys.readouterr()
    result = run()
    assert result["deleted"] == [] and not result["pruning"]
    assert result["quota"]["db"] == {"used": 1, "quota": 100, "percent": 1.0, "quota_source": "documented-default"}
    assert {r.SnapshotKind for r in metric_records(capsys) if hasattr(r, "SnapshotKind")} == {"db", "cluster"}


def test_the_quota_metric_counts_every_manual_snapshot(
    destination: Destination, capsys: pytest.CaptureFixture[str]
) -> None:
    destination.copy("not-ours", 1, tagged=False, source_region=None)
    destination.copy("ours-a", 1)
    destination.copy("ours-b", 100)
    destination.copy("ours-c", 2)
    destination.copy("ours-d", 3)
    destination.copy("cl-1", 1, kind="cluster")
    capsys.readouterr()
    result = run()
    assert destination.named(result["deleted"]) == ["ours-b"]
    records = metric_records(capsys)
    by_kind = {r.SnapshotKind: r for r in records if hasattr(r, "SnapshotKind")}
    # 5 DB snapshots before, one deleted: 4, of a quota of 100 (AWS's default; moto has no RDS quotas).
    assert (by_kind["db"].ManualSnapshots, by_kind["db"].ManualSnapshotQuota) == (4, 100)
    assert by_kind["db"].ManualSnapshotQuotaUsedPercent == 4.0
    assert (by_kind["cluster"].ManualSnapshots, by_kind["cluster"].ManualSnapshotQuotaUsedPercent) == (1, 1.0)
    (totals,) = [r for r in records if hasattr(r, "SnapshotsDeleted")]
    assert (totals.SnapshotsDeleted, totals.FunctionName) == (1, "rds-snapshot-copy-prune")
    units = {m["Name"]: m["Unit"] for m in by_kind["db"]._aws["CloudWatchMetrics"][0]["Metrics"]}
    assert units["ManualSnapshotQuotaUsedPercent"] == "Percent"


def test_the_applied_quota_is_read_from_service_quotas(destination: Destination) -> None:
    destination.copy("one", 1)
    quotas = prune_snapshots.clients_for(DESTINATION_REGION).service_quotas
    with Stubber(quotas) as stub:
        stub.add_response(
            "list_service_quotas",
            {
                "Quotas": [
                    {"QuotaName": "Manual DB instance snapshots", "Value": 500.0},
                    {"QuotaName": "Manual DB cluster snapshots", "Value": 250.0},
                ]
            },
            {"ServiceCode": "rds", "MaxResults": 100},
        )
        result = run()
    assert result["quota"]["db"] == {"used": 1, "quota": 500, "percent": 0.2, "quota_source": "applied"}
    assert result["quota"]["cluster"]["quota"] == 250


def test_a_delete_that_fails_fails_the_run_with_every_name(destination: Destination) -> None:
    for age in (1, 2, 3):
        destination.copy(f"f{age}", age)
    expired = destination.copy("f40", 40)
    rds = prune_snapshots.clients_for(DESTINATION_REGION).rds
    original = rds.delete_db_snapshot

    def refuse(**kwargs: Any) -> Any:
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "DeleteDBSnapshot")

    rds.delete_db_snapshot = refuse
    try:
        with pytest.raises(prune_snapshots.PruneFailedError, match=f"{expired}: AccessDenied"):
            run()
    finally:
        rds.delete_db_snapshot = original


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("KEEP_LAST", "0", "KEEP_LAST must be at least 1"),
        ("DRY_RUN", "maybe", "DRY_RUN must be true or false"),
        ("RETENTION_DAYS", "x", "RETENTION_DAYS must be a whole number"),
        # Past a hundred years (config.MAX_DAYS) a date computation overflowed: refused by name instead.
        ("RETENTION_DAYS", "1000000", "RETENTION_DAYS must be at most 36500, got 1000000"),
        ("KEEP_LAST", "1000000000", "KEEP_LAST must be at most 36500, got 1000000000"),
    ],
)
def test_bad_settings_are_named(
    prune_env: dict, monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=message):
        run()


def test_the_longest_retention_is_accepted(destination: Destination, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETENTION_DAYS", "36500")
    monkeypatch.setenv("KEEP_LAST", "36500")
    destination.copy("old", 400)
    result = run()
    assert result["deleted"] == [] and result["retention_days"] == 36500


def days_old_at(days_before: int, hour: int) -> float:
    """The age, in days, of data taken at `hour`:00 UTC `days_before` calendar days before today (UTC)."""
    midnight = NOW.replace(hour=0, minute=0, second=0, microsecond=0)
    return (NOW - (midnight - timedelta(days=days_before) + timedelta(hours=hour))).total_seconds() / 86400


def test_a_tier_keeps_the_newest_copy_of_each_day_past_the_retention(
    destination: Destination, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("RETENTION_DAYS", "1")
    monkeypatch.setenv("KEEP_LAST", "1")
    monkeypatch.setenv("KEEP_DAILY", "5")
    monkeypatch.setenv("DRY_RUN", "true")
    for day in range(2, 9):  # all older than a day, two a day; the last 5 days are today and the 4 before
        destination.copy(f"d{day}-early", days_old_at(day, 2))
        destination.copy(f"d{day}-late", days_old_at(day, 3))
    caplog.set_level(logging.INFO)
    result = run()
    early = [f"d{day}-early" for day in range(2, 9)]
    assert destination.named(result["deleted"]) == sorted([*early, "d5-late", "d6-late", "d7-late", "d8-late"])
    kept = {destination.named([i])[0]: why for i, why in result["kept_reasons"].items()}
    day = (NOW - timedelta(days=3)).strftime("%Y-%m-%d")
    assert kept["d3-late"] == f"keep_daily 5: newest of {day}"
    assert kept["d2-late"].startswith("one of the newest 1 available copies of orders")
    reasons = {destination.named([i])[0]: why for i, why in result["reasons"].items()}
    assert reasons["d3-early"].endswith(f"; keep_daily 5: a newer copy holds {day}")
    assert reasons["d5-late"].endswith(
        f"keep_daily 5: {(NOW - timedelta(days=5)):%Y-%m-%d} is not one of the last 5 days"
    )
    assert (result["keep_daily"], result["keep_weekly"], result["min_retention_days"]) == (5, None, None)
    (log,) = [r for r in caplog.records if r.getMessage().startswith("keep d3-late")]
    assert log.rules == ["keep_daily"]


def test_the_lock_keeps_what_retention_expires(
    destination: Destination, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RETENTION_DAYS", "1")
    monkeypatch.setenv("KEEP_LAST", "1")
    monkeypatch.setenv("MIN_RETENTION_DAYS", "10")
    for age in (2, 5, 9.5, 10.5, 20):
        destination.copy(f"l{age}", age)
    destination.copy("failed-3", 3, status="failed")
    capsys.readouterr()
    result = run()
    assert destination.named(result["deleted"]) == ["l10.5", "l20"]
    assert {"l5", "l9.5", "failed-3"} <= destination.identifiers()
    assert result["locked"] == 3 and result["min_retention_days"] == 10
    (totals,) = [r for r in metric_records(capsys) if hasattr(r, "SnapshotsDeleted")]
    assert (totals.SnapshotsDeleted, totals.SnapshotsLocked) == (2, 3)


def test_unset_tiers_and_lock_may_be_empty(destination: Destination, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KEEP_DAILY", "KEEP_WEEKLY", "KEEP_MONTHLY", "KEEP_YEARLY", "MIN_RETENTION_DAYS"):
        monkeypatch.setenv(name, " ")
    for age in (1, 2, 3, 40):
        destination.copy(f"e{age}", age)
    result = run()
    assert destination.named(result["deleted"]) == ["e40"]
    assert result["keep_monthly"] is None and result["min_retention_days"] is None


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("KEEP_DAILY", "0", "KEEP_DAILY must be at least 1, got 0"),
        ("KEEP_WEEKLY", "weekly", "KEEP_WEEKLY must be a whole number, got 'weekly'"),
        ("KEEP_MONTHLY", "1201", "KEEP_MONTHLY must be at most 1200, got 1201"),
        ("KEEP_YEARLY", "101", "KEEP_YEARLY must be at most 100, got 101"),
        ("MIN_RETENTION_DAYS", "36501", "MIN_RETENTION_DAYS must be at most 36500, got 36501"),
        ("MIN_RETENTION_DAYS", "-1", "MIN_RETENTION_DAYS must be at least 1, got -1"),
    ],
)
def test_bad_tiers_and_locks_are_named(
    prune_env: dict, monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=message):
        run()
