"""The copier's settings: the shared ones (config.py) plus the key, the limits and the waiting rules."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .accounts import Accounts
from .config import FunctionConfig, positive_int, require
from .errors import ConfigurationError
from .events import event_ids_from
from .filters import SourceFilter
from .kinds import KINDS
from .option_groups import option_group_map

# AWS's default per-region limits of cross-region copies in progress.
DEFAULT_MAX_DB_COPIES_IN_PROGRESS = KINDS["db"].max_copies_in_progress
DEFAULT_MAX_CLUSTER_COPIES_IN_PROGRESS = KINDS["cluster"].max_copies_in_progress
# SQS refuses a visibility timeout above 12 hours.
SQS_MAX_VISIBILITY_SECONDS = 43200
# The first delay of a message waiting for a copy slot (doubled on each receive): a slot frees when a
# copy of hours finishes, so waiting starts at a minute. Not a module setting; the benchmark varies it.
WAIT_BASE_SECONDS = 60
# The first delay of a message waiting for room under the destination's manual snapshot quota (doubled on
# each receive, up to SQS_MAX_VISIBILITY_SECONDS whatever wait_delay_max_seconds says): room comes when the
# daily pruner deletes expired copies, so an hour apart is soon enough and keeps the receives few.
QUOTA_WAIT_BASE_SECONDS = 3600

_KMS_ARN = re.compile(r"^arn:aws[a-z-]*:kms:(?P<region>[a-z0-9-]+):\d{12}:(key|alias)/.+$")


@dataclass(frozen=True, kw_only=True)
class CopyConfig(FunctionConfig):
    kms_key_id: str
    enabled_event_ids: frozenset[str]
    option_group_name: str | None = None
    dead_letter_queue_url: str | None = None
    # The DynamoDB table of copy requests (requests.py): snapshots postponed on their first receive and
    # those dead-lettered are recorded there for the reconciler. None: nothing is recorded.
    requests_table: str | None = None
    max_db_copies_in_progress: int = DEFAULT_MAX_DB_COPIES_IN_PROGRESS
    max_cluster_copies_in_progress: int = DEFAULT_MAX_CLUSTER_COPIES_IN_PROGRESS
    max_receive_count: int = 300
    max_wait_seconds: int = 72 * 3600
    wait_delay_max_seconds: int = 900
    wait_base_seconds: int = WAIT_BASE_SECONDS
    max_error_tries: int = 3
    source_filter: SourceFilter = field(default_factory=SourceFilter)
    # Whose snapshots are copied (SOURCE_ACCOUNT_IDS, SOURCE_ORGANIZATION_ID; accounts.py).
    accounts: Accounts = field(default_factory=Accounts)
    # OPTION_GROUP_MAP: a source option group's name -> the destination's (option_groups.py).
    option_group_map: Mapping[str, str] = field(default_factory=dict)

    @property
    def copy_limits(self) -> dict[str, int]:
        return {"db": self.max_db_copies_in_progress, "cluster": self.max_cluster_copies_in_progress}

    def copy_limit(self, kind: str) -> int:
        return self.copy_limits[kind]

    @classmethod
    def fields_from_env(cls, env: Mapping[str, str]) -> dict[str, Any]:
        require(env, "SOURCE_REGION", "DESTINATION_REGION", "DESTINATION_REGION_KMS_KEY_ID")
        fields = super().fields_from_env(env)
        # A key from another region makes every copy fail with KMSKeyNotAccessibleFault: refuse it here.
        key = _KMS_ARN.match(env["DESTINATION_REGION_KMS_KEY_ID"])
        if key and key["region"] != env["DESTINATION_REGION"]:
            raise ConfigurationError(
                f"DESTINATION_REGION_KMS_KEY_ID {env['DESTINATION_REGION_KMS_KEY_ID']!r} is in {key['region']}, "
                f"not in DESTINATION_REGION {env['DESTINATION_REGION']}"
            )
        return {
            **fields,
            "kms_key_id": env["DESTINATION_REGION_KMS_KEY_ID"],
            "enabled_event_ids": event_ids_from(env.get("ENABLED_EVENT_IDS", "")),
            "requests_table": env.get("REQUESTS_TABLE") or None,
            "option_group_name": env.get("OPTION_GROUP_NAME") or None,
            "dead_letter_queue_url": env.get("DEAD_LETTER_QUEUE_URL") or None,
            "max_db_copies_in_progress": positive_int(
                env, "MAX_DB_COPIES_IN_PROGRESS", DEFAULT_MAX_DB_COPIES_IN_PROGRESS
            ),
            "max_cluster_copies_in_progress": positive_int(
                env, "MAX_CLUSTER_COPIES_IN_PROGRESS", DEFAULT_MAX_CLUSTER_COPIES_IN_PROGRESS
            ),
            "max_receive_count": positive_int(env, "MAX_RECEIVE_COUNT", cls.max_receive_count),
            "max_wait_seconds": positive_int(env, "MAX_WAIT_SECONDS", cls.max_wait_seconds),
            "wait_delay_max_seconds": min(
                positive_int(env, "WAIT_DELAY_MAX_SECONDS", cls.wait_delay_max_seconds), SQS_MAX_VISIBILITY_SECONDS
            ),
            "max_error_tries": positive_int(env, "MAX_ERROR_TRIES", cls.max_error_tries),
            "source_filter": SourceFilter.from_json(env.get("SOURCE_FILTER")),
            "accounts": Accounts.from_env(env),
            "option_group_map": option_group_map(env),
        }
