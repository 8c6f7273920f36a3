"""The pruner's rules (snapshot_copy.retention) through its handler, against moto: what is ours (identity tag
AND identifier, never a tag alone), 0.4.x copies, the data time, and which states count.

Each of these deleted or kept the wrong copy in 0.4.0 (issue 15). The set-up (moto, the Destination of
copies, run()) is test_prune.py's.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from . import test_prune
from .harness import destination_backend, metric_records
from .test_prune import NOW, Destination, run

# test_prune.py's fixtures, for pytest to find here too.
prune_env = test_prune.prune_env
destination = test_prune.destination
_moto_lists_no_service_quotas = test_prune._moto_lists_no_service_quotas

LEGACY_ADVICE = "made by 0.4.x, no deployment tag: adopt with `rds-snapshot-copy adopt`"


@pytest.mark.parametrize("kind", ["db", "cluster"])
def test_an_operators_copy_of_an_expiring_copy_is_never_deleted(kind: str, destination: Destination) -> None:
    # An operator preserved a copy for an audit 40 days ago: CopyTags=True brought every tag of ours along.
    for age in (1, 2, 3):
        destination.copy(f"new-{age}", age, kind=kind)
    expiring = destination.copy("expiring", 50, kind=kind)
    rds, backend = destination.rds, destination_backend()
    if kind == "cluster":
        rds.copy_db_cluster_snapshot(
            SourceDBClusterSnapshotIdentifier=expiring,
            TargetDBClusterSnapshotIdentifier="audit-keep-forever",
            CopyTags=True,
        )
        preserved = backend.cluster_snapshots["audit-keep-forever"]
    else:
        rds.copy_db_snapshot(
            SourceDBSnapshotIdentifier=expiring, TargetDBSnapshotIdentifier="audit-keep-forever", CopyTags=True
        )
        preserved = backend.database_snapshots["audit-keep-forever"]
        preserved.original_snapshot_create_time = NOW - timedelta(days=50)  # RDS keeps it through a copy
    preserved.created = NOW - timedelta(days=40)  # when the operator copied it
    result = run()
    assert destination.named(result["deleted"]) == ["expiring"]
    assert "audit-keep-forever" in destination.identifiers(kind)


def test_another_deployments_copies_are_never_touched(
    destination: Destination, monkeypatch: pytest.MonkeyPatch
) -> None:
    # prod keeps 90 days, dev 7; both copy from the same source region to the same destination, split by
    # source_filter. This is dev's pruner.
    monkeypatch.setenv("DEPLOYMENT_NAME", "dev")
    monkeypatch.setenv("RETENTION_DAYS", "7")
    monkeypatch.setenv("KEEP_LAST", "1")
    for age in (1, 10, 30, 60):
        destination.copy(f"prod-{age}", age, source="prod-db", deployment="prod")
        destination.copy(f"dev-{age}", age, source="dev-db", deployment="dev")
    result = run()
    assert destination.named(result["deleted"]) == ["dev-10", "dev-30", "dev-60"]
    assert {"prod-1", "prod-10", "prod-30", "prod-60"} <= destination.identifiers()
    assert result["legacy"] == []  # another deployment's copies are not 0.4.x copies either


def test_tags_under_another_identifier_or_another_deployment_are_not_ours(destination: Destination) -> None:
    for age in (1, 2, 3):
        destination.copy(f"ours-{age}", age)
    destination.copy("renamed", 400, identifier="my-own-name")  # all our tags, a name the copier never gives
    destination.copy("theirs", 400, deployment="another-deployment")
    destination.copy("theirs-elsewhere", 400, deployment="rds-snapshot-copy", source_region="eu-west-3")
    result = run()
    assert result["deleted"] == [] and result["legacy"] == []
    assert {"renamed", "theirs", "theirs-elsewhere"} <= destination.identifiers()


def test_copies_made_by_0_4_are_kept_named_and_counted(
    destination: Destination,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("KEEP_LAST", "1")
    old_db = [destination.copy(f"v04-{age}", age, deployment=None) for age in (100, 200)]
    old_cluster = destination.copy("v04-cl", 300, kind="cluster", source="aurora", deployment=None)
    destination.copy("ours-1", 1)
    destination.copy("ours-50", 50)
    capsys.readouterr()
    caplog.set_level(logging.INFO)
    result = run()
    assert destination.named(result["deleted"]) == ["ours-50"]
    assert sorted(result["legacy"]) == sorted([*old_db, old_cluster])
    assert {"v04-100", "v04-200"} <= destination.identifiers() and "v04-cl" in destination.identifiers("cluster")
    (warning,) = [r.getMessage() for r in caplog.records if LEGACY_ADVICE in r.getMessage()]
    assert warning.startswith("3 copies kept, never deleted") and old_cluster in warning
    by_kind = {r.SnapshotKind: r for r in metric_records(capsys) if hasattr(r, "SnapshotKind")}
    assert (by_kind["db"].LegacyCopies, by_kind["cluster"].LegacyCopies) == (2, 1)


def test_copies_made_by_0_4_are_counted_when_pruning_is_off(
    destination: Destination, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("RETENTION_DAYS")
    legacy = destination.copy("v04", 100, deployment=None)
    capsys.readouterr()
    result = run()
    assert result["legacy"] == [legacy] and not result["pruning"]
    by_kind = {r.SnapshotKind: r for r in metric_records(capsys) if hasattr(r, "SnapshotKind")}
    assert (by_kind["db"].LegacyCopies, by_kind["cluster"].LegacyCopies) == (1, 0)


@pytest.mark.parametrize("kind", ["db", "cluster"])
def test_a_copys_age_is_its_datas_age_not_when_it_was_copied(kind: str, destination: Destination) -> None:
    # A backfill yesterday copied 40-day-old data: RDS gives the cluster copy yesterday's SnapshotCreateTime;
    # the source_snapshot_time tag (and a DB copy's OriginalSnapshotCreateTime) say when the data was taken.
    for age in (1, 2, 3):
        destination.copy(f"recent-{age}", age, kind=kind)
    destination.copy("backfilled-40", 40, kind=kind, copied_days_ago=1)
    destination.copy("backfilled-20", 20, kind=kind, copied_days_ago=1)
    result = run()
    assert destination.named(result["deleted"]) == ["backfilled-40"]


@pytest.mark.parametrize("status", ["failed", "incompatible-restore", "deleting"])
def test_only_available_copies_fill_the_keep_slots(
    status: str, destination: Destination, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # The newest copy is unusable; the last usable one, 40 days old, must stay.
    monkeypatch.setenv("KEEP_LAST", "1")
    destination.copy("newest", 1, status=status)
    destination.copy("usable-40", 40)
    destination.copy("usable-50", 50)
    caplog.set_level(logging.INFO)
    result = run()
    unusable = [] if status == "deleting" else ["newest"]  # a failed copy restores nothing: it goes
    assert destination.named(result["deleted"]) == sorted([*unusable, "usable-50"])
    assert "usable-40" in destination.identifiers()
    messages = [r.getMessage() for r in caplog.records]
    if unusable:
        assert any(m.startswith("deleted newest-") and m.endswith(f"failed copy ({status})") for m in messages)
    assert any(m.startswith("keep usable-40-") and "newest 1 available" in m for m in messages)


def test_the_incremental_base_of_a_copy_in_progress_stays(
    destination: Destination, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("KEEP_LAST", "1")
    monkeypatch.setenv("DRY_RUN", "true")
    in_progress = destination.copy("copying", 0, status="copying")
    destination.copy("failed", 1, status="failed")
    destination.copy("base-40", 40)
    destination.copy("older-50", 50)
    caplog.set_level(logging.INFO)
    result = run()
    assert destination.named(result["deleted"]) == ["failed", "older-50"]
    reasons = {destination.named([i])[0]: why for i, why in result["reasons"].items()}
    assert reasons["failed"] == "failed copy (failed)"
    assert reasons["older-50"] == "data 50.0 days old, older than the retention of 35 days"
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("keep base-40-") and m.endswith(f"incremental base of {in_progress}") for m in messages)
    assert any(m.startswith("keep copying-") and m.endswith("copy in progress (copying)") for m in messages)
