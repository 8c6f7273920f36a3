"""The pruner's settings: the shared ones (config.py) plus retention, keep_last and the dry-run switch."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .config import MAX_DAYS, FunctionConfig, boolean, positive_int

DEFAULT_KEEP_LAST = 3
# The most copies of one source a keep_last may name: a copy a day for the longest span any setting may
# name. More says nothing a smaller number does not (the quota is far smaller) and is most likely a typo.
MAX_KEEP_LAST = MAX_DAYS


@dataclass(frozen=True, kw_only=True)
class PruneConfig(FunctionConfig):
    retention_days: int | None  # None: pruning is off, only the quota is measured
    keep_last: int = DEFAULT_KEEP_LAST
    dry_run: bool = False

    @classmethod
    def fields_from_env(cls, env: Mapping[str, str]) -> dict[str, Any]:
        retention = (env.get("RETENTION_DAYS") or "").strip()
        return {
            **super().fields_from_env(env),
            "retention_days": positive_int(env, "RETENTION_DAYS", 1, MAX_DAYS) if retention else None,
            "keep_last": positive_int(env, "KEEP_LAST", DEFAULT_KEEP_LAST, MAX_KEEP_LAST),
            "dry_run": boolean(env, "DRY_RUN", False),
        }
