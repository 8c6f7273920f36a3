"""A drill's names and token: drill-<source>-<yyyymmddhhmm>-<random>, and TAG_DRILL = <time>-<token> on
everything it creates, so that two drills started in the same second never pick one name, and neither takes
the other's database for its own. A drill over several source accounts (a vault) names each database's
account too, by its last ACCOUNT_DIGITS digits: drill-<source>-<dddd>-<yyyymmddhhmm>-<random>."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import UTC, datetime

from rds_snapshot_copy.restore import MAX_DATABASE_IDENTIFIER_LENGTH, Plan

TAG_DRILL = "rds_snapshot_copy_drill"  # on everything a drill creates: finds leftovers of a killed drill
DRILL_PREFIX = "drill"
_NOT_ALLOWED = re.compile(r"[^a-z0-9-]+")
# Random hex digits in each name and in each drill's token: two drills of one source in the same minute pick
# the same name once in 16**6 (and then the second's create is refused, which deletes nothing).
NAME_SUFFIX_DIGITS = 6
TOKEN_DIGITS = 12
ACCOUNT_DIGITS = 4  # of the source's account in a name, for the reader: the random part keeps names apart
_SYSTEM_RANDOM = random.SystemRandom()


def random_hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(4 * digits):0{digits}x}"


def drill_name(
    source: str,
    when: datetime,
    taken: set[str],
    exists: Callable[[str], bool],
    rng: random.Random | None = None,
    account: str | None = None,
) -> str:
    """drill-<source>-<yyyymmddhhmm>-<random hex> (with `account`: drill-<source>-<its last digits>-...),
    within RDS's limits (the Aurora writer's '-writer' included), and neither `taken` in this drill nor
    existing in the region."""
    rng = rng or _SYSTEM_RANDOM
    stamp = when.astimezone(UTC).strftime("%Y%m%d%H%M")
    if account:
        stamp = f"{account[-ACCOUNT_DIGITS:]}-{stamp}"
    room = MAX_DATABASE_IDENTIFIER_LENGTH - len("-writer") - len(f"{DRILL_PREFIX}--{stamp}-") - NAME_SUFFIX_DIGITS
    name = re.sub(r"-{2,}", "-", _NOT_ALLOWED.sub("-", source.lower())).strip("-")[:room].strip("-") or "db"
    while True:
        candidate = f"{DRILL_PREFIX}-{name}-{stamp}-{random_hex(rng, NAME_SUFFIX_DIGITS)}"
        if candidate not in taken and not exists(candidate):
            taken.add(candidate)
            return candidate


def drill_token(plan: Plan) -> str | None:
    """The TAG_DRILL value on everything `plan` creates: this drill's own."""
    return next((t["Value"] for t in plan.steps[0].params["Tags"] if t["Key"] == TAG_DRILL), None)
