"""Copy slots: how many copies are in progress in the destination, per snapshot kind.

RDS refuses more than a fixed number of cross-region copies in progress per destination region
(20 DB snapshots, 5 cluster snapshots). We count the copies (recognised by the source-ARN tag) in the
states a copy passes through and start no more than the limit. The same listing names every copy
already there, judged by ownership.classify for this deployment, so a repeated event is recognised
without a call, and a target name held by another deployment's copy is seen for what it is.

Listing every manual snapshot in the destination costs one call per 100 snapshots, and a region that
keeps weeks of copies holds thousands. So the container keeps the listing (FULL_LISTING_TTL_SECONDS)
and, every REFRESH_TTL_SECONDS, re-reads only the copies it knows to be in progress, in one call
filtered by their identifiers. Stale is safe: a copy that finished meanwhile frees its slot up to a
refresh later, and a copy started by another container makes RDS refuse ours, which is a wait.

A listing may take longer than an invocation has (17,500 snapshots of a kind are 175 calls, about a minute
at 0.35 s a call: the default copier_timeout). It stops LISTING_MARGIN_SECONDS before the invocation's
timeout (`seconds_left`), after one page at least; the container keeps what it read and RDS's Marker
(`readings`), and its next invocation reads on. Meanwhile the last whole listing serves; a container that
has none yet raises ListingIncompleteError, and the copier postpones the record saying so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from .errors import SnapshotCopyError
from .kinds import KINDS
from .listing import IN_PROGRESS_STATUSES, PAGE_SIZE, Copy, judged, source_tag, statuses
from .ownership import OURS, Owner

FULL_LISTING_TTL_SECONDS = 900
REFRESH_TTL_SECONDS = 30
# Left to the invocation when a listing stops: the records after it (the queue starts none under 15 s).
LISTING_MARGIN_SECONDS = 20.0


class ListingIncompleteError(SnapshotCopyError):
    """The invocation's time ran short before the listing of the destination's copies ended; the container's
    next invocation reads on from where this one stopped."""

    def __init__(self, kind: str, pages: int, snapshots: int) -> None:
        self.kind = kind
        super().__init__(
            f"listing the destination's {kind} snapshots to count the copies in progress: {pages} page(s), "
            f"{snapshots} snapshot(s) read so far, too many for one invocation; its next invocation reads on "
            "(a larger copier_timeout lists them in fewer)"
        )


@dataclass
class Reading:
    """A listing being read across invocations: what its pages held so far, and RDS's Marker for the next."""

    copies: dict[str, Copy]
    in_progress: set[str]
    started_at: float
    marker: str | None = None
    pages: int = 0
    snapshots: int = 0


@dataclass
class Listing:
    """The copies of one kind in the destination, as listed at `listed_at` and kept up to date since."""

    copies: dict[str, Copy]
    in_progress: set[str]
    listed_at: float
    refreshed_at: float
    # Slots RDS says are taken by copies we do not know of (another container's, or not ours).
    unknown_in_progress: int = 0


class CopySlots:
    """Free copy slots, from a listing shared by the invocations of one container (`listings`)."""

    def __init__(
        self,
        rds: Any,
        limits: dict[str, int],
        listings: dict[str, Listing] | None = None,
        clock: Callable[[], float] = time.time,
        *,
        owner: Owner,
        seconds_left: Callable[[], float] | None = None,
        readings: dict[str, Reading] | None = None,
    ) -> None:
        self._rds = rds
        self._limits = limits
        self._listings = {} if listings is None else listings
        self._clock = clock
        self._owner = owner
        self._seconds_left = seconds_left
        # Listings left unfinished by an invocation of this container (kept by it, like `listings`).
        self._readings = {} if readings is None else readings
        self._stopped: set[str] = set()  # kinds whose listing this invocation already stopped for time

    def _listing(self, kind: str) -> Listing:
        now = self._clock()
        listing = self._listings.get(kind)
        if listing is None or not 0 <= now - listing.listed_at < FULL_LISTING_TTL_SECONDS:
            try:
                listing = self._listings[kind] = self._read(kind, now)
                return listing
            except ListingIncompleteError:
                if listing is None:
                    raise
                # The last whole listing serves until the next one is read (stale is safe: see above).
        if not 0 <= now - listing.refreshed_at < REFRESH_TTL_SECONDS:
            if listing.in_progress:
                _refresh(listing, statuses(self._rds, kind, listing.in_progress))
            listing.refreshed_at = now
            listing.unknown_in_progress = 0
        return listing

    def _read(self, kind: str, now: float) -> Listing:
        """Every manual snapshot of `kind` in the destination with the source-ARN tag, judged for this deployment,
        page by page from where this container's last invocation stopped; ListingIncompleteError when the time
        left runs short first."""
        table = KINDS[kind]
        # Taken out while it is read, put back if it stops: invocations sharing the container's memory at once
        # (the benchmarks') each read their own.
        reading = self._readings.pop(kind, None)
        if reading is None or not 0 <= now - reading.started_at < FULL_LISTING_TTL_SECONDS:
            # A reading left for longer than a listing is kept is stale, and so may be RDS's Marker: anew.
            reading = Reading({}, set(), now)
        read_here = 0
        while True:
            if kind in self._stopped or (read_here and self._short_of_time()):
                self._stopped.add(kind)
                self._readings[kind] = reading
                raise ListingIncompleteError(kind, reading.pages, reading.snapshots)
            marker = {"Marker": reading.marker} if reading.marker else {}
            page = getattr(self._rds, table.describe_operation)(SnapshotType="manual", MaxRecords=PAGE_SIZE, **marker)
            for snapshot in page.get(table.answer_key, []):
                if source_tag(snapshot) is not None:
                    identifier = snapshot[table.identifier_key]
                    reading.copies[identifier] = judged(snapshot, kind, self._owner)
                    if snapshot.get("Status") in IN_PROGRESS_STATUSES:
                        reading.in_progress.add(identifier)
                reading.snapshots += 1
            reading.pages += 1
            read_here += 1
            reading.marker = page.get("Marker")
            if not reading.marker:
                # Kept for FULL_LISTING_TTL_SECONDS from its start when read in one go; one read across
                # invocations from its end (from its start, a read longer than the TTL would be stale as it
                # ends, and read again at once, for ever).
                listed = now if read_here == reading.pages else self._clock()
                return Listing(reading.copies, reading.in_progress, listed, listed)

    def _short_of_time(self) -> bool:
        return self._seconds_left is not None and self._seconds_left() < LISTING_MARGIN_SECONDS

    def existing(self, kind: str, target: str) -> Copy | None:
        """The copy named `target` in the destination (any copy carrying the source-ARN tag), if listed."""
        return self._listing(kind).copies.get(target)

    def copies(self, kind: str) -> list[Copy]:
        """Every copy of `kind` listed (any deployment's: RDS takes any as an incremental base)."""
        return list(self._listing(kind).copies.values())

    def in_progress(self, kind: str) -> int:
        listing = self._listing(kind)
        return len(listing.in_progress) + listing.unknown_in_progress

    def free(self, kind: str) -> int:
        return max(0, self._limits[kind] - self.in_progress(kind))

    def took(self, kind: str, target: str, source_tag: str) -> None:
        listing = self._listing(kind)
        listing.copies[target] = Copy(source_tag, "pending", OURS, self._owner.deployment, self._owner.source_region)
        listing.in_progress.add(target)

    def forget(self, kind: str, target: str) -> None:
        """`target` was deleted (a broken copy): it is no copy, and holds no slot."""
        listing = self._listing(kind)
        listing.copies.pop(target, None)
        listing.in_progress.discard(target)

    def fill(self, kind: str) -> None:
        """RDS said the slots are full (another invocation, or copies not made by us): believe it."""
        listing = self._listing(kind)
        listing.unknown_in_progress = max(0, self._limits[kind] - len(listing.in_progress))


def _refresh(listing: Listing, found: dict[str, str]) -> None:
    """The copies known to be in progress, as RDS now says they are (`found`: identifier -> status)."""
    for identifier in listing.in_progress:
        status = found.get(identifier)
        if status is None:
            listing.copies.pop(identifier, None)  # gone (deleted meanwhile)
        elif identifier in listing.copies:
            listing.copies[identifier] = replace(listing.copies[identifier], status=status)
    listing.in_progress = {i for i in listing.in_progress if found.get(i) in IN_PROGRESS_STATUSES}
