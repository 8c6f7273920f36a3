"""The function's settings, read from environment variables (names as in the AWS tutorial)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import ConfigurationError
from .events import KNOWN_EVENTS

# AWS's default per-region limits of cross-region copies in progress.
DEFAULT_MAX_DB_COPIES_IN_PROGRESS = 20
DEFAULT_MAX_CLUSTER_COPIES_IN_PROGRESS = 5
# SQS refuses a visibility timeout above 12 hours.
SQS_MAX_VISIBILITY_SECONDS = 43200

_KMS_ARN = re.compile(r"^arn:aws[a-z-]*:kms:(?P<region>[a-z0-9-]+):\d{12}:(key|alias)/.+$")


@dataclass(frozen=True)
class Config:
    source_region: str
    destination_region: str
    kms_key_id: str
    enabled_event_ids: frozenset[str]
    option_group_name: str | None = None
    dead_letter_queue_url: str | None = None
    max_db_copies_in_progress: int = DEFAULT_MAX_DB_COPIES_IN_PROGRESS
    max_cluster_copies_in_progress: int = DEFAULT_MAX_CLUSTER_COPIES_IN_PROGRESS
    max_receive_count: int = 300
    max_wait_seconds: int = 72 * 3600
    wait_delay_max_seconds: int = 900
    max_error_tries: int = 3
    metric_namespace: str = "RdsSnapshotCopy"

    def copy_limit(self, kind: str) -> int:
        return self.max_cluster_copies_in_progress if kind == "cluster" else self.max_db_copies_in_progress

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        env = os.environ if env is None else env
        missing = [
            name
            for name in ("SOURCE_REGION", "DESTINATION_REGION", "DESTINATION_REGION_KMS_KEY_ID")
            if not env.get(name)
        ]
        if missing:
            raise ConfigurationError(f"missing environment variable(s): {', '.join(missing)}")
        if env["SOURCE_REGION"] == env["DESTINATION_REGION"]:
            raise ConfigurationError("SOURCE_REGION and DESTINATION_REGION must differ")

        # A key from another region makes every copy fail with KMSKeyNotAccessibleFault: refuse it here.
        key = _KMS_ARN.match(env["DESTINATION_REGION_KMS_KEY_ID"])
        if key and key["region"] != env["DESTINATION_REGION"]:
            raise ConfigurationError(
                f"DESTINATION_REGION_KMS_KEY_ID {env['DESTINATION_REGION_KMS_KEY_ID']!r} is in {key['region']}, "
                f"not in DESTINATION_REGION {env['DESTINATION_REGION']}"
            )
        enabled = _event_ids(env.get("ENABLED_EVENT_IDS", ""))
        return cls(
            source_region=env["SOURCE_REGION"],
            destination_region=env["DESTINATION_REGION"],
            kms_key_id=env["DESTINATION_REGION_KMS_KEY_ID"],
            enabled_event_ids=enabled,
            option_group_name=env.get("OPTION_GROUP_NAME") or None,
            dead_letter_queue_url=env.get("DEAD_LETTER_QUEUE_URL") or None,
            max_db_copies_in_progress=_positive_int(
                env, "MAX_DB_COPIES_IN_PROGRESS", DEFAULT_MAX_DB_COPIES_IN_PROGRESS
            ),
            max_cluster_copies_in_progress=_positive_int(
                env, "MAX_CLUSTER_COPIES_IN_PROGRESS", DEFAULT_MAX_CLUSTER_COPIES_IN_PROGRESS
            ),
            max_receive_count=_positive_int(env, "MAX_RECEIVE_COUNT", cls.max_receive_count),
            max_wait_seconds=_positive_int(env, "MAX_WAIT_SECONDS", cls.max_wait_seconds),
            wait_delay_max_seconds=min(
                _positive_int(env, "WAIT_DELAY_MAX_SECONDS", cls.wait_delay_max_seconds),
                SQS_MAX_VISIBILITY_SECONDS,
            ),
            max_error_tries=_positive_int(env, "MAX_ERROR_TRIES", cls.max_error_tries),
            metric_namespace=env.get("METRIC_NAMESPACE") or cls.metric_namespace,
        )


def _event_ids(raw: str) -> frozenset[str]:
    ids = frozenset(part.strip() for part in raw.split(",") if part.strip())
    if not ids:
        return frozenset(KNOWN_EVENTS)
    unknown = sorted(ids - set(KNOWN_EVENTS))
    if unknown:
        raise ConfigurationError(f"ENABLED_EVENT_IDS has unknown event IDs {unknown}; known: {sorted(KNOWN_EVENTS)}")
    return ids


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 1:
        raise ConfigurationError(f"{name} must be at least 1, got {value}")
    return value
