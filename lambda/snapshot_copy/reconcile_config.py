"""The reconciler's settings: the shared ones (config.py) plus the queue, the window, the RPO and the table.

Only SOURCE_REGION, DESTINATION_REGION and COPY_QUEUE_URL are required; every other setting has a
working default (the module passes its own: GRACE_MINUTES 15, REREQUEST_AFTER_HOURS = the copier's
longest wait + 1; DRILL_MAX_AGE_DAYS only when drill_max_age_days is set, and unset there is no drill check;
DEPLOYMENT_NAME, whose copies these are, config.py). Every span is bounded by config.MAX_DAYS / MAX_HOURS
(a hundred years), so that a huge value is refused by name here instead of overflowing a date later.
`status` and `backfill` build one directly, or with dataclasses.replace.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .accounts import Accounts
from .config import MAX_DAYS, MAX_HOURS, FunctionConfig, boolean, positive_int, require
from .drill_age import LOOKBACK_DAYS
from .errors import ConfigurationError
from .events import event_ids_from
from .filters import SourceFilter

DEFAULT_RETENTION_DAYS = 35
DEFAULT_RPO_HOURS = 26.0
DEFAULT_GRACE_MINUTES = 0.0
# The copier gives a message up after 72 h of waiting (MAX_WAIT_SECONDS): a request is trusted one hour more.
DEFAULT_REREQUEST_AFTER_HOURS = 73.0


@dataclass(frozen=True, kw_only=True)
class ReconcileConfig(FunctionConfig):
    copy_queue_url: str
    retention_days: int = DEFAULT_RETENTION_DAYS  # only source snapshots younger than this are enqueued
    rpo_hours: float = DEFAULT_RPO_HOURS
    enabled_event_ids: frozenset[str] = field(default_factory=lambda: event_ids_from(""))
    source_filter: SourceFilter = field(default_factory=SourceFilter)
    requests_table: str | None = None  # None: no state, every missing snapshot is enqueued each run
    grace_minutes: float = DEFAULT_GRACE_MINUTES  # younger snapshots are left to their own event
    rerequest_after_hours: float = DEFAULT_REREQUEST_AFTER_HOURS
    per_source_metrics: bool = False
    # Set: each run reads the drills' LastDrillTimestamp back and publishes DaysSinceLastDrill, which the
    # module's drill_age alarm compares with this. None: no check, no cloudwatch client, no call.
    drill_max_age_days: int | None = None
    # Whose snapshots are copied (SOURCE_ACCOUNT_IDS, SOURCE_ORGANIZATION_ID; accounts.py): in backup-account
    # mode the survey lists the snapshots shared with this account, per (account, database).
    accounts: Accounts = field(default_factory=Accounts)

    @classmethod
    def fields_from_env(cls, env: Mapping[str, str]) -> dict[str, Any]:
        require(env, "SOURCE_REGION", "DESTINATION_REGION", "COPY_QUEUE_URL")
        return {
            **super().fields_from_env(env),
            "copy_queue_url": env["COPY_QUEUE_URL"],
            "retention_days": positive_int(env, "RETENTION_DAYS", DEFAULT_RETENTION_DAYS, maximum=MAX_DAYS),
            "rpo_hours": number(env, "RPO_HOURS", DEFAULT_RPO_HOURS, minimum=0, inclusive=False, maximum=MAX_HOURS),
            "enabled_event_ids": event_ids_from(env.get("ENABLED_EVENT_IDS", "")),
            "source_filter": SourceFilter.from_json(env.get("SOURCE_FILTER")),
            "requests_table": env.get("REQUESTS_TABLE") or None,
            "grace_minutes": number(env, "GRACE_MINUTES", DEFAULT_GRACE_MINUTES, minimum=0, maximum=MAX_HOURS * 60),
            "rerequest_after_hours": number(
                env,
                "REREQUEST_AFTER_HOURS",
                DEFAULT_REREQUEST_AFTER_HOURS,
                minimum=0,
                inclusive=False,
                maximum=MAX_HOURS,
            ),
            "per_source_metrics": boolean(env, "PER_SOURCE_METRICS", False),
            "drill_max_age_days": drill_max_age_days(env),
            "accounts": Accounts.from_env(env),
        }


def drill_max_age_days(env: Mapping[str, str]) -> int | None:
    """DRILL_MAX_AGE_DAYS: whole days from 1 to drill_age.LOOKBACK_DAYS (CloudWatch keeps no drill longer);
    None when unset."""
    if not (env.get("DRILL_MAX_AGE_DAYS") or "").strip():
        return None
    days = positive_int(env, "DRILL_MAX_AGE_DAYS", 1)
    if days > LOOKBACK_DAYS:
        raise ConfigurationError(
            f"DRILL_MAX_AGE_DAYS must be at most {LOOKBACK_DAYS} (CloudWatch keeps a drill's metric that long), "
            f"got {days}"
        )
    return days


def number(
    env: Mapping[str, str],
    name: str,
    default: float,
    minimum: float,
    inclusive: bool = True,
    maximum: float | None = None,
) -> float:
    """A finite decimal number of at least (or, not `inclusive`, more than) `minimum` and at most `maximum`
    (None: no bound); `default` when unset."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, got {env.get(name)!r}") from None
    if not math.isfinite(value):
        raise ConfigurationError(f"{name} must be a finite number, got {env.get(name)!r}")
    if value < minimum or (value == minimum and not inclusive):
        bound = f"at least {minimum:g}" if inclusive else f"more than {minimum:g}"
        raise ConfigurationError(f"{name} must be {bound}, got {env.get(name)!r}")
    if maximum is not None and value > maximum:
        shown = int(maximum) if float(maximum).is_integer() else maximum
        raise ConfigurationError(f"{name} must be at most {shown}, got {env.get(name)!r}")
    return value
