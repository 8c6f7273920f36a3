"""The pruner's ownership rule of 0.4.0, for `--ownership-0.4` only: a stand-in, never product code.

0.4.0 took a copy as its own when it carried the `source_region` and `source_snapshot_arn` tags (issue 15):
tags alone. An operator's CopyTags=True keep and a second deployment's copies carry them too, so this rule
deletes them once their data is older than the retention. The rest (keep_last newest available per source,
data time, only `available`) is the current rule, so the run shows the ownership rule's effect alone.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from snapshot_copy.kinds import KINDS
from snapshot_copy.listing import pages
from snapshot_copy.snapshot_time import data_time
from snapshot_copy.tagging import TAG_SOURCE_REGION, TAG_SOURCE_SNAPSHOT_ARN, tag_value


def prune_by_tags(rds: Any, source_region: str, now: datetime, retention_days: int, keep_last: int) -> list[str]:
    """Delete every tagged copy (any deployment, any name) older than the retention but the keep_last newest."""
    deleted: list[str] = []
    cutoff = now - timedelta(days=retention_days)
    for name, kind in KINDS.items():
        by_source: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
        for snapshot in list(pages(rds, name, SnapshotType="manual")):
            tags = snapshot.get("TagList")
            if tag_value(tags, TAG_SOURCE_REGION) != source_region or not tag_value(tags, TAG_SOURCE_SNAPSHOT_ARN):
                continue
            if snapshot.get("Status") != "available":
                continue
            when = data_time(snapshot, name)
            if when is not None:
                by_source[snapshot.get(kind.source_identifier_key) or "?"].append((when, snapshot[kind.identifier_key]))
        for copies in by_source.values():
            for when, identifier in sorted(copies, reverse=True)[keep_last:]:
                if when < cutoff:
                    try:
                        getattr(rds, kind.delete_operation)(**{kind.identifier_key: identifier})
                    except ClientError:
                        continue  # the next run tries again
                    deleted.append(identifier)
    return deleted
