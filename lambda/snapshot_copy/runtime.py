"""What the Lambda runtime hands a function: its name and the time it has left, read the same way by every
entry file (and given sensible values when a test or the demo's harness passes a bare context)."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any


def function_name(context: Any, default: str) -> str:
    """The function's name: the context's, else AWS_LAMBDA_FUNCTION_NAME, else `default` (the metrics'
    FunctionName dimension, which the module's alarms select on)."""
    return getattr(context, "function_name", None) or os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or default


def seconds_left(context: Any) -> Callable[[], float]:
    """Seconds until the function's timeout, as a callable; without a Lambda context, no limit."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining):
        return lambda: math.inf
    return lambda: remaining() / 1000
