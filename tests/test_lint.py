"""ruff over every Python file of the project (the function, the tests, the benchmark)."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def ruff_command() -> list[str]:
    binary = Path(sys.executable).with_name("ruff")
    if binary.exists():
        return [str(binary)]
    found = shutil.which("ruff")
    assert found, "ruff is not installed: run the tests with `make test`, which installs it"
    return [found]


def test_ruff_check_is_clean():
    result = subprocess.run([*ruff_command(), "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean():
    result = subprocess.run([*ruff_command(), "format", "--check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
