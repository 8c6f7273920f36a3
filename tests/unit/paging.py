"""MOTO GAP: moto answers DescribeDBSnapshots whole, whatever MaxRecords says; RDS pages (20 to 100 a page)."""

from __future__ import annotations

from typing import Any

import pytest


def pages_like_rds(client: Any, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Make `client` (a function's own boto3 RDS client) page DescribeDBSnapshots as RDS does. Returns the
    parameters of every call, as the function made them."""
    original = client.describe_db_snapshots
    calls: list[dict[str, Any]] = []

    def paged(**kwargs: Any) -> dict[str, Any]:
        calls.append(dict(kwargs))
        size, start = kwargs.pop("MaxRecords", 100), int(kwargs.pop("Marker", 0))
        found = original(**kwargs)["DBSnapshots"]
        page = {"DBSnapshots": found[start : start + size]}
        if start + size < len(found):
            page["Marker"] = str(start + size)
        return page

    monkeypatch.setattr(client, "describe_db_snapshots", paged)
    return calls
