"""The source side's metrics (EMF, dimension FunctionName), one name for each thing it does or refuses."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from .. import metrics

SHARED = "Shared"  # a snapshot shared with the vault accounts and announced to every vault's queue
SHARE_COPIES_STARTED = "ShareCopiesStarted"
# RDS will not let it be shared (TDE, a permanent or persistent option, more than 20 accounts, RDS's refusal):
# never retried; the log line says why.
UNSHAREABLE = "UnshareableSnapshots"
SHARES_REMOVED = "SharesRemoved"  # vault accounts taken off a snapshot's restore attribute by the clean-up
SHARE_COPIES_DELETED = "ShareCopiesDeleted"
SHARE_TIMED_OUT = "ShareTimedOut"  # a share no vault copied within SHARE_TIMEOUT_DAYS (then unshared)
FAILED = "Failed"  # an event or a clean-up step that failed (an error, retried where it may succeed)
IGNORED = "EventsIgnored"  # not a snapshot-created event, not enabled, not selected, gone
# A snapshot whose created event never reached the function (EventBridge lost it, or the region was out),
# found by the clean-up and shared (or its share copy started) as its event would have had it.
CAUGHT_UP = "MissedEventsCaughtUp"
SHARING_METRICS = (SHARED, SHARE_COPIES_STARTED, UNSHAREABLE, SHARES_REMOVED, SHARE_COPIES_DELETED)
SHARING_METRICS += (SHARE_TIMED_OUT, FAILED, IGNORED, CAUGHT_UP)


def emit(
    counts: Counter[str], namespace: str, function_name: str, clock: Callable[[], float] = time.time
) -> dict[str, Any]:
    """One EMF line with every metric of the source side (zero where nothing happened)."""
    values = {name: counts.get(name, 0) for name in SHARING_METRICS}
    return metrics.put(metrics.emf_record(namespace, {"FunctionName": function_name}, values, clock=clock))
