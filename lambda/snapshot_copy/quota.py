"""The destination's manual snapshot quota, and how much of it is used.

Every manual snapshot counts, whoever made it: copies of this module, of other tools, people's own.
The quota is read from Service Quotas (the account's applied value, else AWS's default there), and where
neither can be read (permissions, a partition without the service), from AWS's documented default.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .kinds import KINDS

logger = logging.getLogger(__name__)

SERVICE_CODE = "rds"


@dataclass(frozen=True)
class Usage:
    kind: str
    used: int
    quota: int
    quota_source: str  # "applied", "aws-default" or "documented-default"

    @property
    def percent(self) -> float:
        return round(100.0 * self.used / self.quota, 1) if self.quota > 0 else 100.0


def _by_name(client: Any, operation: str) -> dict[str, float]:
    """{quota name: value} from a paged Service Quotas listing of RDS's quotas."""
    found: dict[str, float] = {}
    token: str | None = None
    while True:
        page = getattr(client, operation)(
            ServiceCode=SERVICE_CODE, MaxResults=100, **({"NextToken": token} if token else {})
        )
        for quota in page.get("Quotas", []):
            if "QuotaName" in quota and "Value" in quota:
                found[quota["QuotaName"]] = quota["Value"]
        token = page.get("NextToken")
        if not token:
            return found


def quotas(service_quotas: Any) -> dict[str, tuple[int, str]]:
    """{kind: (quota, where it came from)} for every snapshot kind, one or two listings in all."""
    sources = (("list_service_quotas", "applied"), ("list_aws_default_service_quotas", "aws-default"))
    read: list[tuple[dict[str, float], str]] = []
    for operation, label in sources:
        try:
            read.append((_by_name(service_quotas, operation), label))
        except (ClientError, BotoCoreError) as exc:
            logger.warning(
                "could not read the snapshot quotas from Service Quotas",
                extra={"operation": operation, "error": str(exc)},
            )
        if all(any(kind.manual_snapshot_quota_name in values for values, _ in read) for kind in KINDS.values()):
            break
    result = {}
    for name, kind in KINDS.items():
        value = next(
            (
                (values[kind.manual_snapshot_quota_name], label)
                for values, label in read
                if kind.manual_snapshot_quota_name in values
            ),
            None,
        )
        result[name] = (
            (int(value[0]), value[1]) if value else (kind.default_manual_snapshot_quota, "documented-default")
        )
    return result
