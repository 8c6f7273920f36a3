"""The copy requests table (DynamoDB): BatchGetItem and BatchWriteItem, as the copier and the reconciler call them.

`Table` holds the items and answers both calls with DynamoDB's limits and errors (100 keys a BatchGetItem,
25 requests a BatchWriteItem, no key twice in one call, a table that exists), and can leave a share of the
keys or items unprocessed (UnprocessedKeys / UnprocessedItems, as DynamoDB does when it throttles) with
`unprocessed_rate`. `FakeDynamoDb` is the burst's client: the table's answers behind `FakeClient`'s
latency on the simulated clock. The fleet benchmark wraps `Table` in a client of its own.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from .fake_aws import CallStats, FakeClient, Faults, client_error, strict
from .sim import Sim

BATCH_GET_LIMIT = 100
BATCH_WRITE_LIMIT = 25


class Table:
    """One table, hash key only; items are DynamoDB's low-level attribute maps."""

    def __init__(
        self, name: str, hash_key: str, *, unprocessed_rate: float = 0.0, rng: random.Random | None = None
    ) -> None:
        self.name = name
        self.hash_key = hash_key
        self.unprocessed_rate = unprocessed_rate
        self.rng = rng or random.Random(0)
        self.items: dict[str, dict[str, Any]] = {}
        self.counts: Counter[str] = Counter()  # "written", "read", "unprocessed_keys", "unprocessed_items"
        self.writes: Counter[str] = Counter()  # per hash key: how often it was put

    def _key_of(self, key: dict[str, Any], operation: str) -> str:
        if set(key) != {self.hash_key} or set(key[self.hash_key]) != {"S"}:
            raise client_error(
                "ValidationException",
                "The provided key element does not match the schema",
                operation,
            )
        return key[self.hash_key]["S"]

    def _request_of(self, request_items: dict[str, Any], operation: str) -> Any:
        if set(request_items) != {self.name}:
            missing = sorted(set(request_items) - {self.name})
            raise client_error(
                "ResourceNotFoundException", f"Requested resource not found: Table: {missing} not found", operation
            )
        return request_items[self.name]

    def _unprocessed(self) -> bool:
        return self.unprocessed_rate > 0 and self.rng.random() < self.unprocessed_rate

    def batch_get(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        operation = "BatchGetItem"
        request = self._request_of(RequestItems, operation)
        keys = request.get("Keys") or []
        if not 1 <= len(keys) <= BATCH_GET_LIMIT:
            raise client_error(
                "ValidationException",
                f"Too many items requested for the BatchGetItem call: {len(keys)} (1 to {BATCH_GET_LIMIT})",
                operation,
            )
        names = [self._key_of(key, operation) for key in keys]
        if len(set(names)) != len(names):
            raise client_error("ValidationException", "Provided list of item keys contains duplicates", operation)
        found, unprocessed = [], []
        for name, key in zip(names, keys, strict=True):
            if self._unprocessed():
                unprocessed.append(key)
                continue
            self.counts["read"] += 1
            if name in self.items:
                found.append({k: dict(v) for k, v in self.items[name].items()})
        self.counts["unprocessed_keys"] += len(unprocessed)
        answer: dict[str, Any] = {"Responses": {self.name: found}, "UnprocessedKeys": {}}
        if unprocessed:
            answer["UnprocessedKeys"] = {self.name: {**request, "Keys": unprocessed}}
        return answer

    def batch_write(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        operation = "BatchWriteItem"
        requests = self._request_of(RequestItems, operation)
        if not 1 <= len(requests) <= BATCH_WRITE_LIMIT:
            raise client_error(
                "ValidationException",
                f"Too many items in the BatchWriteItem call: {len(requests)} (1 to {BATCH_WRITE_LIMIT})",
                operation,
            )
        names = []
        for request in requests:
            if set(request) != {"PutRequest"}:
                raise client_error(
                    "ValidationException", f"only PutRequest is modelled, got {sorted(request)}", operation
                )
            item = request["PutRequest"]["Item"]
            names.append(self._key_of({self.hash_key: item.get(self.hash_key, {})}, operation))
        if len(set(names)) != len(names):
            raise client_error("ValidationException", "Provided list of item keys contains duplicates", operation)
        unprocessed = []
        for name, request in zip(names, requests, strict=True):
            if self._unprocessed():
                unprocessed.append(request)
                continue
            self.items[name] = {k: dict(v) for k, v in request["PutRequest"]["Item"].items()}
            self.writes[name] += 1
            self.counts["written"] += 1
        self.counts["unprocessed_items"] += len(unprocessed)
        return {"UnprocessedItems": {self.name: unprocessed} if unprocessed else {}}

    def state_of(self, name: str) -> str | None:
        item = self.items.get(name)
        return None if item is None else item.get("state", {}).get("S")


class FakeDynamoDb(FakeClient):
    """A function's DynamoDB client in the burst: the table's answers at 5-20 ms each on the simulated clock."""

    def __init__(
        self, sim: Sim, stats: CallStats, rng: random.Random, table: Table, faults: Faults | None = None
    ) -> None:
        super().__init__("dynamodb", sim, stats, rng, faults or Faults(), latency=(0.005, 0.02))
        self.table = table

    def batch_get_item(self, **kwargs: Any) -> dict[str, Any]:
        strict("batch_get_item", kwargs, {"RequestItems"})
        return self._call("batch_get_item", "BatchGetItem", lambda: self.table.batch_get(**kwargs))

    def batch_write_item(self, **kwargs: Any) -> dict[str, Any]:
        strict("batch_write_item", kwargs, {"RequestItems"})
        return self._call("batch_write_item", "BatchWriteItem", lambda: self.table.batch_write(**kwargs))
