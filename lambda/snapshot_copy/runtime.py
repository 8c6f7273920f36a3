"""What the Lambda runtime hands a function: its name and the time it has left, read the same way by every
entry file (and given sensible values when a test or the demo's harness passes a bare context); and the
`Runtime` the package's cores take instead of a clock, a sleep, a deadline and a name apiece, so that a test
or the benchmark swaps all four at once (a simulated clock must also be the one the deadline reads)."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def function_name(context: Any, default: str) -> str:
    """The function's name: the context's, else AWS_LAMBDA_FUNCTION_NAME, else `default` (the metrics'
    FunctionName dimension, which the module's alarms select on)."""
    return getattr(context, "function_name", None) or os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or default


def seconds_left(context: Any) -> Callable[[], float]:
    """Seconds until the function's timeout, as a callable; without a Lambda context, no limit."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining):
        return no_limit
    return lambda: remaining() / 1000


def account_of_context(context: Any) -> str | None:
    """The function's own account: the fifth field of the context's invoked_function_arn (None without one)."""
    arn = getattr(context, "invoked_function_arn", None)
    parts = arn.split(":") if isinstance(arn, str) else []
    return parts[4] if len(parts) >= 7 and len(parts[4]) == 12 and parts[4].isdigit() else None


def no_limit() -> float:
    """The time left when nothing bounds it (a workstation's command, a test without a context)."""
    return math.inf


@dataclass(frozen=True, kw_only=True)
class Runtime:
    """One invocation's outside world, but for its clients: `clock()` (epoch seconds: metrics' timestamps,
    table items), `sleep(seconds)` (retry pacing), `seconds_left()` (to the function's timeout) and
    `function_name` (the metrics' FunctionName dimension); `account_id`, the function's own account (None:
    unknown, e.g. the benchmark: accounts.Accounts then refuses nothing in single-account mode)."""

    function_name: str
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    seconds_left: Callable[[], float] = no_limit
    account_id: str | None = None

    @classmethod
    def from_context(cls, context: Any, default_name: str) -> Runtime:
        """The Lambda runtime's: its context's name, deadline and account (`default_name`, none, None without
        one), the real clock."""
        return cls(
            function_name=function_name(context, default_name),
            seconds_left=seconds_left(context),
            account_id=account_of_context(context),
        )
