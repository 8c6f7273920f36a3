"""The checks of a restored database: it is what the copy promised (engine, encryption with the copy's
destination key, the restore's provenance tags and this drill's token)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rds_snapshot_copy.drill.names import TAG_DRILL
from rds_snapshot_copy.restore import (
    TAG_RECOVERY_POINT,
    TAG_RESTORED_BY,
    TAG_RESTORED_FROM_ACCOUNT,
    TAG_RESTORED_FROM_REGION,
    TAG_RESTORED_FROM_SNAPSHOT,
    TAG_RESTORED_FROM_SOURCE,
    Job,
    Plan,
)


@dataclass
class Check:
    ok: bool
    expected: Any
    actual: Any

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "expected": self.expected, "actual": self.actual}


def check(plan: Plan, job: Job, kms_key_override: str | None = None) -> dict[str, Check]:
    """The restored database is what the copy promised: engine, encryption with the copy's key, tags."""
    copy = plan.located.copy
    restored = job.final.get("cluster") or job.final.get("instance") or {}
    encrypted_key = "StorageEncrypted"
    expected_key = kms_key_override or copy.get("KmsKeyId")
    checks = {
        "engine": Check(restored.get("Engine") == copy.get("Engine"), copy.get("Engine"), restored.get("Engine")),
        "encryption": Check(
            bool(expected_key) and bool(restored.get(encrypted_key)) and restored.get("KmsKeyId") == expected_key,
            expected_key or "an encrypted copy",
            restored.get("KmsKeyId") if restored.get(encrypted_key) else "not encrypted",
        ),
    }
    wanted = {t["Key"]: t["Value"] for t in plan.steps[0].params["Tags"]}
    provenance = (
        TAG_RESTORED_BY,
        TAG_RESTORED_FROM_REGION,
        TAG_RESTORED_FROM_SOURCE,
        TAG_RESTORED_FROM_ACCOUNT,
        TAG_RESTORED_FROM_SNAPSHOT,
    )
    for what, resource in (("tags", restored), ("writer tags", job.final.get("instance") if plan.writer else None)):
        if resource is None:
            continue
        have = {t["Key"]: t.get("Value") for t in resource.get("TagList", [])}
        absent = [k for k in (*provenance, TAG_RECOVERY_POINT, TAG_DRILL) if have.get(k) != wanted.get(k)]
        checks[what] = Check(not absent, "provenance tags", "all present" if not absent else f"missing: {absent}")
    return checks
