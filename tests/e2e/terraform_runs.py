"""Terraform in a directory of the test's own, against the local emulator: for the end-to-end tests that deploy
stacks other than examples/complete (the upgrade from 0.4.0, a git source).

Several stacks can run at once (`run_all`): the emulator serves them in parallel, and an apply spends most of its
time waiting for the SQS queues to settle (~25 s each), so two applies side by side take the time of one.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rds_snapshot_copy.demo.emulator import provider_override
from rds_snapshot_copy.demo.stack import OVERRIDE_FILE, TFVARS_FILE
from rds_snapshot_copy.terraform_cli import terraform_binary, terraform_env

TIMEOUT_SECONDS = 900


def environment() -> dict[str, str]:
    """The offline-capable CLI configuration; nothing of AWS from this environment (the override has it all)."""
    return {k: v for k, v in terraform_env().items() if not k.startswith("AWS_")}


def point_at_emulator(directory: Path, endpoint: str, variables: dict[str, Any]) -> None:
    """The generated files the demo writes too: the provider override and the variables."""
    (directory / OVERRIDE_FILE).write_text(provider_override(endpoint))
    (directory / TFVARS_FILE).write_text(json.dumps(variables, indent=2) + "\n")


def run_all(*commands: tuple[Path, Sequence[str]]) -> list[str]:
    """Run `terraform ARGS` in each directory at once; their outputs (stdout), once all are done. Any failure
    fails, with the end of what it printed."""
    binary = terraform_binary()
    assert binary, "the terraform CLI is not on PATH: install terraform >= 1.9"
    env = environment()
    running = []
    for directory, args in commands:
        out, err = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed below
        process = subprocess.Popen(
            [binary, args[0], "-no-color", *args[1:]],
            cwd=directory,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
        running.append((directory, args, process, out, err))
    outputs, failures = [], []
    for directory, args, process, out, err in running:
        try:
            code = process.wait(timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait()
        texts = []
        for stream in (out, err):
            stream.seek(0)
            texts.append(stream.read())
            stream.close()
        outputs.append(texts[0])
        if code != 0:
            tail = "\n".join("".join(texts).splitlines()[-60:])
            failures.append(f"terraform {' '.join(args)} in {directory} failed (exit {code}):\n{tail}")
    assert not failures, "\n\n".join(failures)
    return outputs


def run(directory: Path, *args: str) -> str:
    return run_all((directory, args))[0]


def outputs(directory: Path) -> dict[str, Any]:
    return {name: value["value"] for name, value in json.loads(run(directory, "output", "-json")).items()}
