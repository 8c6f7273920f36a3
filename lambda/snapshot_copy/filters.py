"""Which databases and clusters are copied: globs on their identifier, and their own tags.

One decision, with its reason, for the copier, the reconciliation and the backfill alike. Tags are the
database's or cluster's own (automated snapshots carry them only with CopyTagsToSnapshot), read once per
container and kept for TAGS_TTL_SECONDS, so a burst of events does not read them once per event.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from botocore.exceptions import ClientError

from .errors import ConfigurationError
from .kinds import KINDS

TAGS_TTL_SECONDS = 900
# A database or cluster deleted since its snapshot was taken has no tags to read.
_SOURCE_GONE = frozenset({"DBInstanceNotFound", "DBInstanceNotFoundFault", "DBClusterNotFoundFault"})
MAX_KEPT_DECISIONS = 10_000
_KEYS = ("include_identifiers", "exclude_identifiers", "include_tags", "exclude_tags")


@dataclass(frozen=True)
class Decision:
    selected: bool
    reason: str


@dataclass(frozen=True)
class SourceFilter:
    """include_*: a source must match (when any are given); exclude_*: a source matching one is left out.
    Tags map a key to the values that match; an empty list matches any value."""

    include_identifiers: tuple[str, ...] = ()
    exclude_identifiers: tuple[str, ...] = ()
    include_tags: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    exclude_tags: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return any((self.include_identifiers, self.exclude_identifiers, self.include_tags, self.exclude_tags))

    @property
    def needs_tags(self) -> bool:
        return bool(self.include_tags or self.exclude_tags)

    @classmethod
    def from_json(cls, raw: str | None, name: str = "SOURCE_FILTER") -> SourceFilter:
        if not raw or not raw.strip():
            return cls()
        try:
            doc = json.loads(raw)
        except ValueError as exc:
            raise ConfigurationError(f"{name} is not JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise ConfigurationError(f"{name} must be a JSON object, got {type(doc).__name__}")
        unknown = sorted(set(doc) - set(_KEYS))
        if unknown:
            raise ConfigurationError(f"{name} has unknown keys {unknown}; known: {list(_KEYS)}")
        return cls(
            include_identifiers=_globs(doc.get("include_identifiers"), f"{name}.include_identifiers"),
            exclude_identifiers=_globs(doc.get("exclude_identifiers"), f"{name}.exclude_identifiers"),
            include_tags=_tags(doc.get("include_tags"), f"{name}.include_tags"),
            exclude_tags=_tags(doc.get("exclude_tags"), f"{name}.exclude_tags"),
        )

    def decide(self, identifier: str, tags: Mapping[str, str] | None = None) -> Decision:
        """Whether the database or cluster `identifier` (with its own `tags`) is copied, and why."""
        if self.include_identifiers and not any(fnmatchcase(identifier, g) for g in self.include_identifiers):
            return Decision(
                False, f"{identifier!r} matches none of include_identifiers {list(self.include_identifiers)}"
            )
        excluded = next((g for g in self.exclude_identifiers if fnmatchcase(identifier, g)), None)
        if excluded is not None:
            return Decision(False, f"{identifier!r} matches exclude_identifiers {excluded!r}")
        tags = tags or {}
        if self.include_tags:
            match = _tag_match(self.include_tags, tags)
            if match is None:
                return Decision(
                    False,
                    f"{identifier!r} has none of include_tags {_show(self.include_tags)} (its tags: {dict(tags)})",
                )
        match = _tag_match(self.exclude_tags, tags)
        if match is not None:
            return Decision(False, f"{identifier!r} has tag {match} in exclude_tags")
        return Decision(True, f"{identifier!r} is selected" + (" (no filter)" if not self.active else ""))


def _globs(value: Any, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigurationError(f"{name} must be a list of non-empty glob strings, got {value!r}")
    return tuple(value)


def _tags(value: Any, name: str) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigurationError(f"{name} must map tag keys to lists of values, got {value!r}")
    out = {}
    for key, values in value.items():
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ConfigurationError(f"{name}[{key!r}] must be a list of values ([] for any value), got {values!r}")
        out[key] = tuple(values)
    return out


def _tag_match(wanted: Mapping[str, tuple[str, ...]], tags: Mapping[str, str]) -> str | None:
    for key, values in wanted.items():
        if key in tags and (not values or tags[key] in values):
            return f"{key}={tags[key]}"
    return None


def _show(wanted: Mapping[str, tuple[str, ...]]) -> dict[str, list[str]]:
    return {k: list(v) or ["*"] for k, v in wanted.items()}


class SourceTags:
    """The tags of source databases and clusters, each read once and kept for TAGS_TTL_SECONDS."""

    def __init__(self, rds: Any, clock: Callable[[], float] = time.time, cache: dict[str, Any] | None = None) -> None:
        self._rds = rds
        self._clock = clock
        self._cache: dict[str, tuple[float, dict[str, str]]] = {} if cache is None else cache

    def of(self, arn: str) -> dict[str, str]:
        now = self._clock()
        kept = self._cache.get(arn)
        if kept is None or not 0 <= now - kept[0] < TAGS_TTL_SECONDS:
            try:
                tags = self._rds.list_tags_for_resource(ResourceName=arn).get("TagList", [])
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in _SOURCE_GONE:
                    raise
                tags = []
            kept = self._cache[arn] = (now, {t["Key"]: t.get("Value", "") for t in tags})
        return kept[1]


@dataclass
class Selection:
    """The filter with what a container keeps for it: the sources' tags and the decisions already made
    (a snapshot waiting for a copy slot is looked at many times, and decided once)."""

    source_filter: SourceFilter
    tags: SourceTags
    decisions: dict[str, Decision] = field(default_factory=dict)

    def remember(self, snapshot_arn: str, decision: Decision) -> Decision:
        if len(self.decisions) >= MAX_KEPT_DECISIONS:
            self.decisions.clear()
        self.decisions[snapshot_arn] = decision
        return decision


def decide_for_snapshot(
    source_filter: SourceFilter,
    snapshot: Mapping[str, Any],
    kind: str,
    tags: SourceTags | None,
    partition: str,
    region: str,
    account: str,
) -> Decision:
    """The filter's decision for the database or cluster a snapshot (as RDS describes it) was taken of."""
    if not source_filter.active:
        return Decision(True, "no filter")
    table = KINDS[kind]
    identifier = snapshot.get(table.source_identifier_key) or ""
    source_tags: dict[str, str] = {}
    if source_filter.needs_tags and tags is not None and identifier:
        source_tags = tags.of(table.source_arn(partition, region, account, identifier))
    return source_filter.decide(identifier, source_tags)
