"""The copier's receive budget, as the module computes it: Terraform evaluates the module's own formula.

The formula lives in one place, the module's modules/receive-budget; rather than keep a
copy that could drift, the benchmark asks `terraform console` there (no providers, no init, ~0.05 s).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

RECEIVE_BUDGET_MODULE = Path(__file__).resolve().parents[1] / "modules" / "receive-budget"


@lru_cache(maxsize=64)
def function_max_receive_count(copy_wait_max_hours: float, wait_delay_max_seconds: int) -> int:
    terraform = shutil.which("terraform")
    if terraform is None:
        raise RuntimeError(
            "the benchmark reads the module's receive budget through terraform: install terraform >= 1.9"
        )
    result = subprocess.run(
        [
            terraform,
            "console",
            f"-var=copy_wait_max_hours={copy_wait_max_hours}",
            f"-var=wait_delay_max_seconds={wait_delay_max_seconds}",
        ],
        input="local.max_receive_count\n",
        cwd=RECEIVE_BUDGET_MODULE,
        env={**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"terraform console in {RECEIVE_BUDGET_MODULE} failed:\n{result.stderr}{result.stdout}")
    return int(result.stdout.strip())
