"""The Runtime every core takes: what the Lambda context gives, and its defaults without one."""

from __future__ import annotations

import math
import time

import pytest

from snapshot_copy.runtime import Runtime


class Context:
    function_name = "deployed-name"

    def get_remaining_time_in_millis(self) -> int:
        return 42_000


def test_from_a_lambda_context_the_name_and_the_deadline_are_the_contexts() -> None:
    runtime = Runtime.from_context(Context(), "copy_snapshot")
    assert runtime.function_name == "deployed-name"
    assert runtime.seconds_left() == 42.0
    assert runtime.clock is time.time and runtime.sleep is time.sleep


def test_without_a_context_the_environment_or_the_default_names_it_and_nothing_bounds_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    runtime = Runtime.from_context(None, "prune_snapshots")
    assert (runtime.function_name, runtime.seconds_left()) == ("prune_snapshots", math.inf)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "from-env")
    assert Runtime.from_context(object(), "prune_snapshots").function_name == "from-env"
