"""What every fake client shares: call latency on the simulated clock, injected errors, botocore's retries.

Each HTTP attempt takes a simulated latency and may fail with Throttling (400) or InternalFailure (500)
at the stated per-attempt rates. Like botocore's standard retry mode (the function's BOTO_CONFIG:
max_attempts 3) the client retries those errors itself, with jittered exponential backoff, and raises
the last one to the caller only when every attempt failed. Errors the service returns on purpose
(quota, already exists, not found) are not retried. Every attempt is counted per operation.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from .sim import Sim

T = TypeVar("T")


def client_error(code: str, message: str, operation: str, status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        operation,
    )


@dataclass
class Faults:
    """Per-attempt error rates and the client's retry behaviour."""

    throttle_rate: float = 0.0
    internal_error_rate: float = 0.0
    max_attempts: int = 3
    # Share of InternalFailure answers to CopyDBSnapshot that come after RDS started the copy anyway.
    ghost_copy_share: float = 0.5


@dataclass
class CallStats:
    requests: Counter[str] = field(default_factory=Counter)  # HTTP attempts, per "service:operation"
    calls: Counter[str] = field(default_factory=Counter)  # calls the code made (one per botocore call)
    client_retries: Counter[str] = field(default_factory=Counter)
    errors_raised: Counter[str] = field(default_factory=Counter)  # "operation:code" seen by the caller
    injected: Counter[str] = field(default_factory=Counter)
    # Databases, clusters and snapshots in the answers the code got, per "service:operation": what its
    # listings read (the year's CPU floor, year_floor.py).
    read: Counter[str] = field(default_factory=Counter)

    def total_requests(self) -> int:
        return sum(self.requests.values())

    def total_read(self) -> int:
        return sum(self.read.values())


# The answer keys whose items count as read (a describe's databases, clusters or snapshots; not a TagList).
READ_KEYS = ("DBSnapshots", "DBClusterSnapshots", "DBInstances", "DBClusters")


class FakeClient:
    def __init__(
        self,
        name: str,
        sim: Sim,
        stats: CallStats,
        rng: random.Random,
        faults: Faults,
        latency: tuple[float, float] = (0.05, 0.25),
    ) -> None:
        self.name = name
        self.sim = sim
        self.stats = stats
        self.rng = rng
        self.faults = faults
        self.latency = latency
        # Optional hooks (the year benchmark's faults): `down()` True makes every attempt fail as an
        # unreachable endpoint would (a region outage); `interrupt()` runs after each attempt's latency and may
        # raise to end the caller (a Lambda timeout killing the invocation mid-call).
        self.down: Callable[[], bool] | None = None
        self.interrupt: Callable[[], None] | None = None

    def _call(self, operation: str, api_name: str, action: Callable[[], T], ghost: bool = False) -> T:
        key = f"{self.name}:{operation}"
        self.stats.calls[key] += 1
        attempts = max(1, self.faults.max_attempts)
        for attempt in range(1, attempts + 1):
            self.sim.sleep(self.rng.uniform(*self.latency))
            if self.interrupt is not None:
                self.interrupt()
            self.stats.requests[key] += 1
            draw = self.rng.random()
            injected: ClientError | None = None
            if self.down is not None and self.down():
                injected = client_error("ServiceUnavailable", "Service unavailable (region outage)", api_name, 503)
            elif draw < self.faults.throttle_rate:
                injected = client_error("Throttling", "Rate exceeded", api_name, 400)
            elif draw < self.faults.throttle_rate + self.faults.internal_error_rate:
                injected = client_error("InternalFailure", "An internal error has occurred.", api_name, 500)
                if ghost and self.rng.random() < self.faults.ghost_copy_share:
                    # The service did the work; only its answer was lost.
                    try:
                        action()
                        self.stats.injected[f"{operation}:work done, answer lost"] += 1
                    except ClientError:
                        pass
            if injected is None:
                try:
                    answer = action()
                except ClientError as exc:
                    self.stats.errors_raised[f"{operation}:{exc.response['Error']['Code']}"] += 1
                    raise
                items = (
                    sum(len(answer[k]) for k in READ_KEYS if isinstance(answer.get(k), list))
                    if isinstance(answer, dict)
                    else 0
                )
                if items:
                    self.stats.read[key] += items
                return answer
            self.stats.injected[f"{operation}:{injected.response['Error']['Code']}"] += 1
            if attempt == attempts:
                self.stats.errors_raised[f"{operation}:{injected.response['Error']['Code']}"] += 1
                raise injected
            self.stats.client_retries[key] += 1
            # botocore standard mode: random backoff up to 2**attempt seconds (capped at 20 s).
            self.sim.sleep(self.rng.uniform(0, min(20.0, 2.0**attempt)))
        raise AssertionError("unreachable")


def strict(name: str, kwargs: dict[str, Any], allowed: set[str]) -> None:
    """Fail loudly on parameters the fake does not model, so the fakes cannot drift from the handler."""
    unknown = set(kwargs) - allowed
    if unknown:
        raise TypeError(f"{name}: parameters not modelled by the fake: {sorted(unknown)}")
