"""Copy slots: no more of our copies in progress than the limit, per kind; the rest wait with a growing delay.

MOTO GAP: moto's copies are `available` at once, so in-progress copies are made by setting the status of
copies in moto's destination backend (harness.set_destination_status) or by a small fake RDS client.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from snapshot_copy import slots as slots_module
from snapshot_copy.listing import IN_PROGRESS_STATUSES, PAGE_SIZE
from snapshot_copy.naming import target_identifier
from snapshot_copy.ownership import FOREIGN, LEGACY, OURS, Owner
from snapshot_copy.slots import CopySlots

from .harness import (
    cluster_event,
    db_event,
    failures,
    invoke,
    only_metrics,
    our_copies,
    set_destination_status,
    sqs_event,
    tag_dict,
)


def start_copies_in_progress(sources, count: int, kind: str = "db", status: str = "copying") -> list[str]:
    """`count` of our copies in the destination, in an in-progress state; returns their identifiers."""
    targets = []
    for i in range(count):
        if kind == "db":
            result = invoke(db_event(sources.db_snapshot(f"busy-{i}")))
        else:
            result = invoke(cluster_event(sources.cluster_snapshot(f"busy-{i}")))
        assert result["status"] == "started"
        set_destination_status(result["target"], status, kind)
        targets.append(result["target"])
    return targets


def test_in_progress_statuses() -> None:
    assert frozenset({"pending", "creating", "copying"}) == IN_PROGRESS_STATUSES


@pytest.mark.parametrize(
    ("records", "limit", "in_progress"),
    [(5, 3, 0), (3, 5, 0), (4, 4, 1), (4, 3, 3), (2, 2, 5), (6, 5, 2)],
)
def test_batch_starts_exactly_the_free_slots(
    records: int,
    limit: int,
    in_progress: int,
    function_env: dict,
    queues,
    sources,
    destination_rds,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    busy = start_copies_in_progress(sources, in_progress)
    monkeypatch.setenv("MAX_DB_COPIES_IN_PROGRESS", str(limit))
    events = [db_event(sources.db_snapshot(f"new-{i}")) for i in range(records)]
    batch = queues.records(events)
    caplog.set_level(logging.INFO)
    capsys.readouterr()  # only the next invocation's metrics
    response = invoke(sqs_event(batch))
    started = max(0, min(records, limit - in_progress))
    new_copies = [c for c in our_copies(destination_rds) if c["DBSnapshotIdentifier"] not in busy]
    assert len(new_copies) == started
    # the first records in the batch get the slots, the rest wait
    assert failures(response) == {r["messageId"] for r in batch[started:]}
    metrics = only_metrics(capsys)
    assert (metrics.CopiesStarted, metrics.CopySlotWaits) == (started, records - started)
    for record in batch[started:]:
        assert 29 <= queues.visible_in(record["messageId"]) <= 60


@pytest.mark.parametrize("status", sorted(IN_PROGRESS_STATUSES))
def test_each_in_progress_status_takes_a_slot(
    status: str, function_env: dict, sources, monkeypatch: pytest.MonkeyPatch
) -> None:
    from snapshot_copy.errors import CopyPostponedError

    start_copies_in_progress(sources, 1, status=status)
    monkeypatch.setenv("MAX_DB_COPIES_IN_PROGRESS", "1")
    with pytest.raises(CopyPostponedError) as raised:
        invoke(db_event(sources.db_snapshot("waits")))
    assert raised.value.code == "CopySlotsFull"
    assert "1 db snapshot copies in progress (limit 1)" in str(raised.value)


def test_available_copies_do_not_take_a_slot(function_env: dict, sources, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(3):
        invoke(db_event(sources.db_snapshot(f"done-{i}")))  # moto: available at once
    monkeypatch.setenv("MAX_DB_COPIES_IN_PROGRESS", "1")
    assert invoke(db_event(sources.db_snapshot("next")))["status"] == "started"


def test_snapshots_that_are_not_ours_do_not_take_a_slot(
    function_env: dict, sources, destination_rds, monkeypatch: pytest.MonkeyPatch
) -> None:
    destination_rds.create_db_instance(
        DBInstanceIdentifier="destdb",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="admin_user",
        MasterUserPassword="not-a-real-password",
    )
    destination_rds.create_db_snapshot(DBInstanceIdentifier="destdb", DBSnapshotIdentifier="someone-elses")
    set_destination_status("someone-elses", "creating")
    monkeypatch.setenv("MAX_DB_COPIES_IN_PROGRESS", "1")
    assert invoke(db_event(sources.db_snapshot("mine")))["status"] == "started"


def test_db_and_cluster_limits_are_separate(
    function_env: dict, queues, sources, destination_rds, monkeypatch: pytest.MonkeyPatch
) -> None:
    start_copies_in_progress(sources, 2, "db")
    start_copies_in_progress(sources, 1, "cluster")
    monkeypatch.setenv("MAX_DB_COPIES_IN_PROGRESS", "2")
    monkeypatch.setenv("MAX_CLUSTER_COPIES_IN_PROGRESS", "2")
    db_new = db_event(sources.db_snapshot("db-new"))
    clusters = [cluster_event(sources.cluster_snapshot(f"cl-new-{i}")) for i in range(2)]
    batch = queues.records([db_new, *clusters])
    response = invoke(sqs_event(batch))
    # DB slots are full; one cluster slot is free
    assert failures(response) == {batch[0]["messageId"], batch[2]["messageId"]}
    started = {tag_dict(c)["source_snapshot_arn"] for c in our_copies(destination_rds, "cluster")}
    assert clusters[0]["detail"]["SourceArn"] in started
    assert clusters[1]["detail"]["SourceArn"] not in started


def test_default_cluster_limit_is_five(function_env: dict, queues, sources, destination_rds) -> None:
    start_copies_in_progress(sources, 4, "cluster")
    batch = queues.records([cluster_event(sources.cluster_snapshot(f"cl-{i}")) for i in range(3)])
    response = invoke(sqs_event(batch))
    assert failures(response) == {batch[1]["messageId"], batch[2]["messageId"]}


def test_repeated_event_is_recognised_even_when_slots_are_full(
    function_env: dict, sources, source_rds, monkeypatch: pytest.MonkeyPatch
) -> None:
    (target,) = start_copies_in_progress(sources, 1)
    monkeypatch.setenv("MAX_DB_COPIES_IN_PROGRESS", "1")
    (snapshot,) = source_rds.describe_db_snapshots(DBSnapshotIdentifier="busy-0")["DBSnapshots"]
    result = invoke(db_event(snapshot))
    assert (result["status"], result["target"]) == ("exists", target)


@pytest.mark.parametrize(
    ("receive_count", "delay_max", "low", "high"),
    [
        (1, 900, 30, 60),
        (2, 900, 60, 120),
        (4, 900, 240, 480),
        (5, 900, 450, 900),
        (12, 900, 450, 900),
        (12, 300, 150, 300),
        (30, 43200, 21600, 43200),
    ],
)
def test_wait_delay_grows_by_receive_count_capped_by_wait_delay_max(
    receive_count: int,
    delay_max: int,
    low: int,
    high: int,
    function_env: dict,
    queues,
    sources,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    start_copies_in_progress(sources, 1)
    monkeypatch.setenv("MAX_DB_COPIES_IN_PROGRESS", "1")
    monkeypatch.setenv("WAIT_DELAY_MAX_SECONDS", str(delay_max))
    batch = queues.records([db_event(sources.db_snapshot("delayed"))], receive_count=receive_count)
    response = invoke(sqs_event(batch))
    assert failures(response) == {batch[0]["messageId"]}
    assert low - 1 <= queues.visible_in(batch[0]["messageId"]) <= high


# ---- CopySlots with a fake destination client ----


class FakeRds:
    """describe_db_snapshots / describe_db_cluster_snapshots over a fixed list, paged by MaxRecords."""

    def __init__(self, db: list[dict[str, Any]] | None = None, cluster: list[dict[str, Any]] | None = None) -> None:
        self.db = db or []
        self.cluster = cluster or []
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def _page(self, items: list[dict[str, Any]], key: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        for filter_ in kwargs.get("Filters", []):
            id_key = "DBClusterSnapshotIdentifier" if key == "DBClusterSnapshots" else "DBSnapshotIdentifier"
            items = [item for item in items if item[id_key] in filter_["Values"]]
        start = int(kwargs.get("Marker") or 0)
        end = start + kwargs["MaxRecords"]
        page: dict[str, Any] = {key: items[start:end]}
        if end < len(items):
            page["Marker"] = str(end)
        return page

    def describe_db_snapshots(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("describe_db_snapshots", kwargs))
        return self._page(self.db, "DBSnapshots", kwargs)

    def describe_db_cluster_snapshots(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("describe_db_cluster_snapshots", kwargs))
        return self._page(self.cluster, "DBClusterSnapshots", kwargs)


OWNER = Owner("rds-snapshot-copy", "us-east-1")
SOURCE = "arn:aws:rds:us-east-1:123456789012:snapshot"


def snap(
    identifier: str,
    status: str,
    source: str | None = SOURCE,
    kind: str = "db",
    deployment: str | None = OWNER.deployment,
) -> dict[str, Any]:
    """A destination snapshot named `identifier`: with `source`, this deployment's copy of the source
    snapshot `identifier` (named as the copier names it); without, a snapshot that is no copy."""
    key = "DBClusterSnapshotIdentifier" if kind == "cluster" else "DBSnapshotIdentifier"
    tags = [{"Key": "team", "Value": "x"}]
    if source is None:
        return {key: identifier, "Status": status, "TagList": tags}
    arn = (
        f"{source}:{identifier}" if kind == "db" else f"{source.replace(':snapshot', ':cluster-snapshot')}:{identifier}"
    )
    tags += [{"Key": "source_snapshot_arn", "Value": arn}, {"Key": "source_region", "Value": "us-east-1"}]
    if deployment is not None:
        tags.append({"Key": "snapshot_copy_deployment", "Value": deployment})
    return {key: target_identifier(identifier, arn, kind), "Status": status, "TagList": tags}


def name(identifier: str, kind: str = "db") -> str:
    """The copier's name for the copy of source snapshot `identifier` (see snap)."""
    return snap(identifier, "available", kind=kind)[
        "DBClusterSnapshotIdentifier" if kind == "cluster" else "DBSnapshotIdentifier"
    ]


def test_the_listing_reads_every_page() -> None:
    snapshots = [snap(f"s{i}", "copying" if i % 3 == 0 else "available") for i in range(2 * PAGE_SIZE + 7)]
    snapshots += [snap(f"other{i}", "copying", source=None) for i in range(5)]
    rds = FakeRds(db=snapshots)
    slots = CopySlots(rds, {"db": 500, "cluster": 5}, owner=OWNER)
    copies = slots.copies("db")
    assert len(copies) == 2 * PAGE_SIZE + 7
    assert slots.existing("db", name("s5")).source == f"{SOURCE}:s5"
    assert (slots.existing("db", name("s5")).status, slots.existing("db", name("s5")).ownership) == ("available", OURS)
    # Only copies take a slot: the snapshots with no source-ARN tag are no copies.
    assert slots.in_progress("db") == len([i for i in range(2 * PAGE_SIZE + 7) if i % 3 == 0])
    assert slots.existing("db", "other1") is None
    assert len(rds.calls) == 3
    assert all(c[1]["SnapshotType"] == "manual" and c[1]["MaxRecords"] == PAGE_SIZE for c in rds.calls)
    assert [c[1].get("Marker") for c in rds.calls] == [None, str(PAGE_SIZE), str(2 * PAGE_SIZE)]


def test_the_listing_judges_each_copy_for_this_deployment() -> None:
    rds = FakeRds(
        db=[
            snap("mine", "available"),
            snap("old", "failed", deployment=None),
            snap("theirs", "copying", deployment="another-deployment"),
        ]
    )
    slots = CopySlots(rds, {"db": 3, "cluster": 5}, owner=OWNER)
    copies = {i: slots.existing("db", i) for i in (name("mine"), name("old"), name("theirs"))}
    assert {i: (c.ownership, c.status) for i, c in copies.items()} == {
        name("mine"): (OURS, "available"),
        name("old"): (LEGACY, "failed"),
        name("theirs"): (FOREIGN, "copying"),
    }
    assert copies[name("theirs")].deployment == "another-deployment"
    # Another deployment's copy in progress holds one of RDS's slots in the region all the same.
    assert slots.in_progress("db") == 1


def test_copy_slots_lists_once_per_kind_and_tracks_what_it_starts() -> None:
    rds = FakeRds(
        db=[snap("a", "copying"), snap("b", "available")],
        cluster=[snap("c", "pending", kind="cluster")],
    )
    slots = CopySlots(rds, {"db": 3, "cluster": 1}, owner=OWNER)
    assert slots.free("db") == 2
    assert slots.existing("db", name("a")).source == f"{SOURCE}:a"
    assert slots.existing("db", "zzz") is None
    slots.took("db", "new", "arn:new")
    assert slots.free("db") == 1
    assert (slots.existing("db", "new").source, slots.existing("db", "new").ownership) == ("arn:new", OURS)
    assert slots.free("cluster") == 0
    assert [name for name, _ in rds.calls] == ["describe_db_snapshots", "describe_db_cluster_snapshots"]
    slots.fill("db")
    assert slots.free("db") == 0
    assert slots.in_progress("db") == 3


def test_fill_never_lowers_the_count() -> None:
    rds = FakeRds(db=[snap(f"s{i}", "copying") for i in range(5)])
    slots = CopySlots(rds, {"db": 3, "cluster": 5}, owner=OWNER)
    slots.fill("db")
    assert slots.in_progress("db") == 5
    assert slots.free("db") == 0


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now


def test_the_listing_is_kept_between_invocations_and_refreshed_by_identifier(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    rds = FakeRds(db=[snap(f"old{i}", "available") for i in range(150)] + [snap("a", "copying"), snap("b", "copying")])
    listings: dict = {}

    first = CopySlots(rds, {"db": 3, "cluster": 5}, listings, clock.time, owner=OWNER)
    assert first.free("db") == 1
    assert len(rds.calls) == 2  # the full listing: 152 snapshots, two pages
    first.took("db", name("c"), f"{SOURCE}:c")

    clock.now += slots_module.REFRESH_TTL_SECONDS - 1
    # the next invocation of the container
    second = CopySlots(rds, {"db": 3, "cluster": 5}, listings, clock.time, owner=OWNER)
    assert second.free("db") == 0
    assert second.existing("db", name("old7")).source == f"{SOURCE}:old7"
    assert len(rds.calls) == 2  # nothing listed again

    rds.db[-2]["Status"] = "available"  # copy "a" finished
    rds.db.append(snap("c", "copying"))
    clock.now += 2
    assert second.free("db") == 1
    assert second.existing("db", name("a")).status == "available"  # the refresh says how each one is now
    refresh = rds.calls[2:]
    assert len(refresh) == 1
    assert refresh[0][1]["Filters"] == [{"Name": "db-snapshot-id", "Values": sorted(name(i) for i in "abc")}]
    assert "SnapshotType" not in refresh[0][1]

    clock.now += slots_module.FULL_LISTING_TTL_SECONDS
    assert CopySlots(rds, {"db": 3, "cluster": 5}, listings, clock.time, owner=OWNER).free("db") == 1
    assert rds.calls[-1][1]["SnapshotType"] == "manual"


def test_a_refresh_keeps_a_failed_copy_as_failed_and_forgets_a_deleted_one() -> None:
    clock = Clock()
    rds = FakeRds(db=[snap("a", "copying"), snap("b", "copying")])
    listings: dict = {}
    CopySlots(rds, {"db": 3, "cluster": 5}, listings, clock.time, owner=OWNER).free("db")
    rds.db[0]["Status"] = "failed"
    del rds.db[1]
    clock.now += slots_module.REFRESH_TTL_SECONDS
    slots = CopySlots(rds, {"db": 3, "cluster": 5}, listings, clock.time, owner=OWNER)
    assert slots.free("db") == 3
    assert slots.existing("db", name("a")).status == "failed"
    assert slots.existing("db", name("b")) is None


def test_a_refusal_holds_the_slots_full_until_the_next_refresh(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    rds = FakeRds(db=[snap("a", "copying")])
    listings: dict = {}
    slots = CopySlots(rds, {"db": 3, "cluster": 5}, listings, clock.time, owner=OWNER)
    slots.fill("db")  # RDS refused: another container's copies hold the other slots
    assert CopySlots(rds, {"db": 3, "cluster": 5}, listings, clock.time, owner=OWNER).free("db") == 0
    clock.now += slots_module.REFRESH_TTL_SECONDS
    assert CopySlots(rds, {"db": 3, "cluster": 5}, listings, clock.time, owner=OWNER).free("db") == 2


class SlowRds(FakeRds):
    """FakeRds whose every call takes `seconds` on `clock` (RDS answers a page of 100 snapshots in about 0.35 s)."""

    def __init__(self, clock: Clock, seconds: float, **snapshots: Any) -> None:
        super().__init__(**snapshots)
        self.clock, self.seconds = clock, seconds

    def describe_db_snapshots(self, **kwargs: Any) -> dict[str, Any]:
        self.clock.now += self.seconds
        return super().describe_db_snapshots(**kwargs)


def test_a_listing_longer_than_an_invocation_stops_before_its_timeout_and_the_next_reads_on() -> None:
    """17,500 snapshots of a kind (1,000 sources for 35 days, half Aurora) are 175 pages, 61 s at 0.35 s a page:
    the whole of the default 60 s timeout. Before, the listing ran past it and Lambda killed every invocation
    that listed, so nothing was ever copied; now each invocation stops in time and the next reads on."""
    clock = Clock()
    snapshots = [snap(f"s{i}", "copying" if i % 1000 == 0 else "available") for i in range(17_500)]
    rds = SlowRds(clock, 0.35, db=snapshots)
    listings: dict = {}
    readings: dict = {}
    timeout = 60.0
    invocations = 0
    while True:
        invocations += 1
        deadline = clock.now + timeout
        slots = CopySlots(
            rds, {"db": 20, "cluster": 5}, listings, clock.time, owner=OWNER,
            seconds_left=lambda deadline=deadline: deadline - clock.now, readings=readings,
        )  # fmt: skip
        try:
            free = slots.free("db")
        except slots_module.ListingIncompleteError as exc:
            assert "too many for one invocation" in str(exc) and "copier_timeout" in str(exc)
            assert deadline - clock.now >= slots_module.LISTING_MARGIN_SECONDS - 0.35
            # A second record of the same invocation reads nothing more: it waits too.
            calls = len(rds.calls)
            with pytest.raises(slots_module.ListingIncompleteError):
                slots.existing("db", name("s1"))
            assert len(rds.calls) == calls
            clock.now += 30  # the queue's next delivery
            continue
        assert clock.now <= deadline
        break
    assert invocations == 2  # 115 pages in the first (40 s of its 60), the other 60 in the second
    assert free == 20 - 18
    assert len(rds.calls) == 175  # every page once
    assert readings == {}  # nothing left half-read


def test_while_the_next_listing_is_read_the_last_one_serves() -> None:
    clock = Clock()
    rds = SlowRds(clock, 0.35, db=[snap(f"s{i}", "available") for i in range(250)] + [snap("busy", "copying")])
    listings: dict = {}
    readings: dict = {}
    CopySlots(rds, {"db": 3, "cluster": 5}, listings, clock.time, owner=OWNER, readings=readings).free("db")
    assert len(rds.calls) == 3
    clock.now += slots_module.FULL_LISTING_TTL_SECONDS
    deadline = clock.now + slots_module.LISTING_MARGIN_SECONDS + 0.2  # time for one page only
    slots = CopySlots(
        rds, {"db": 3, "cluster": 5}, listings, clock.time, owner=OWNER,
        seconds_left=lambda: deadline - clock.now, readings=readings,
    )  # fmt: skip
    assert slots.free("db") == 2  # the last listing's count (and a refresh of its copy in progress)
    assert slots.existing("db", name("s7")).status == "available"
    assert readings["db"].pages == 1


def test_a_cold_container_whose_listing_outlasts_the_invocation_postpones_the_record_and_reads_on(
    function_env: dict, sources, destination_rds, monkeypatch: pytest.MonkeyPatch
) -> None:
    import copy_snapshot
    from snapshot_copy import listing as listing_module
    from snapshot_copy.errors import CopyPostponedError

    from .harness import DESTINATION_REGION, SOURCE_REGION, LambdaContext, destination_snapshot
    from .paging import pages_like_rds

    class ShortOfTime(LambdaContext):
        def get_remaining_time_in_millis(self) -> int:
            return 10_000  # under LISTING_MARGIN_SECONDS: one page an invocation

    # RDS's smallest page: 26 manual snapshots are two pages (every listing's, the copier's own included).
    monkeypatch.setattr(listing_module, "PAGE_SIZE", 20)
    monkeypatch.setattr(slots_module, "PAGE_SIZE", 20)
    for i in range(25):
        destination_snapshot(destination_rds, f"operators-{i}", {"team": "dba"})
    event = db_event(sources.db_snapshot("big-destination"))
    invoke(db_event(sources.db_snapshot("first")))  # the function's clients exist from here on
    pages_like_rds(copy_snapshot.clients_for(SOURCE_REGION, DESTINATION_REGION).destination_rds, monkeypatch)
    with pytest.raises(CopyPostponedError) as raised:
        invoke(event, ShortOfTime())
    assert raised.value.code == "CopyListingIncomplete"
    assert "1 page(s), 20 snapshot(s) read so far" in str(raised.value)  # of 26: the operator's and ours
    assert invoke(event, ShortOfTime(), keep_listing=True)["status"] == "started"  # the second page, then the copy


def test_a_listing_left_half_read_for_longer_than_a_listing_is_kept_is_read_anew() -> None:
    clock = Clock()
    rds = SlowRds(clock, 0.35, db=[snap(f"s{i}", "available") for i in range(250)])
    readings: dict = {}
    deadline = clock.now + slots_module.LISTING_MARGIN_SECONDS + 0.2
    with pytest.raises(slots_module.ListingIncompleteError):
        CopySlots(
            rds, {"db": 3, "cluster": 5}, {}, clock.time, owner=OWNER,
            seconds_left=lambda: deadline - clock.now, readings=readings,
        ).free("db")  # fmt: skip
    assert readings["db"].pages == 1
    clock.now += slots_module.FULL_LISTING_TTL_SECONDS  # the container idle meanwhile
    calls = len(rds.calls)
    assert CopySlots(rds, {"db": 3, "cluster": 5}, {}, clock.time, owner=OWNER, readings=readings).free("db") == 3
    assert [c[1].get("Marker") for c in rds.calls[calls:]] == [None, "100", "200"]  # from the first page again
