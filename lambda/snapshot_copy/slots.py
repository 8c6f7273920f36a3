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
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from .listing import IN_PROGRESS_STATUSES, Copy, list_copies, statuses
from .ownership import OURS, Owner

FULL_LISTING_TTL_SECONDS = 900
REFRESH_TTL_SECONDS = 30


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
    ) -> None:
        self._rds = rds
        self._limits = limits
        self._listings = {} if listings is None else listings
        self._clock = clock
        self._owner = owner

    def _listing(self, kind: str) -> Listing:
        now = self._clock()
        listing = self._listings.get(kind)
        if listing is None or not 0 <= now - listing.listed_at < FULL_LISTING_TTL_SECONDS:
            copies, in_progress = list_copies(self._rds, kind, self._owner)
            listing = self._listings[kind] = Listing(copies, in_progress, now, now)
        elif not 0 <= now - listing.refreshed_at < REFRESH_TTL_SECONDS:
            if listing.in_progress:
                _refresh(listing, statuses(self._rds, kind, listing.in_progress))
            listing.refreshed_at = now
            listing.unknown_in_progress = 0
        return listing

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
