"""The pruner's settings: the shared ones (config.py) plus the retention rules and the dry-run switch.

RETENTION_DAYS (absent or empty: pruning is off), KEEP_LAST (default 3), the tiers KEEP_DAILY, KEEP_WEEKLY,
KEEP_MONTHLY, KEEP_YEARLY and the lock MIN_RETENTION_DAYS (each absent or empty: off; else a whole number
from 1 to its maximum), DRY_RUN. The rules themselves are retention.py's and tiers.py's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .config import MAX_DAYS, FunctionConfig, boolean, positive_int
from .tiers import MAX_PERIODS, NO_TIERS, TIERS, Tiers

DEFAULT_KEEP_LAST = 3
# The most copies of one source a keep_last may name: a copy a day for the longest span any setting may
# name. More says nothing a smaller number does not (the quota is far smaller) and is most likely a typo.
MAX_KEEP_LAST = MAX_DAYS
# The environment variable of each tier, and of the lock.
TIER_VARIABLES = {tier: f"KEEP_{tier.upper()}" for tier in TIERS}
MIN_RETENTION_DAYS = "MIN_RETENTION_DAYS"


def optional_int(env: Mapping[str, str], name: str, maximum: int) -> int | None:
    """A whole number from 1 to `maximum`, or None when the variable is absent or empty (the rule is off)."""
    if not (env.get(name) or "").strip():
        return None
    return positive_int(env, name, 1, maximum)


@dataclass(frozen=True, kw_only=True)
class PruneConfig(FunctionConfig):
    retention_days: int | None  # None: pruning is off, only the quota is measured
    keep_last: int = DEFAULT_KEEP_LAST
    dry_run: bool = False
    tiers: Tiers = NO_TIERS
    min_retention_days: int | None = None  # the lock; None: none

    @classmethod
    def fields_from_env(cls, env: Mapping[str, str]) -> dict[str, Any]:
        retention = (env.get("RETENTION_DAYS") or "").strip()
        return {
            **super().fields_from_env(env),
            "retention_days": positive_int(env, "RETENTION_DAYS", 1, MAX_DAYS) if retention else None,
            "keep_last": positive_int(env, "KEEP_LAST", DEFAULT_KEEP_LAST, MAX_KEEP_LAST),
            "dry_run": boolean(env, "DRY_RUN", False),
            "tiers": tiers_from_env(env),
            "min_retention_days": optional_int(env, MIN_RETENTION_DAYS, MAX_DAYS),
        }


def tiers_from_env(env: Mapping[str, str]) -> Tiers:
    """KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY, KEEP_YEARLY (also what `status` reads to size the rules)."""
    return Tiers(**{tier: optional_int(env, variable, MAX_PERIODS[tier]) for tier, variable in TIER_VARIABLES.items()})
