"""Offline checks of the Terraform code: validate, the module's native tests, fmt and checkov.

Every terraform command runs in a copy of the repository under tmp_path, so no `.terraform`
directory or lock file lands in the work tree. `terraform init` installs hashicorp/aws from the
local provider mirror when there is one (rds_snapshot_copy.terraform_cli), so no registry is needed,
except for the repository root, which also needs hashicorp/archive.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from python_terraform import IsFlagged, Terraform

from rds_snapshot_copy.terraform_cli import (
    find_mirror,
    mirrored_providers,
    registry_reachable,
    terraform_binary,
    terraform_env,
    use_offline_capable_config,
)
from snapshot_copy.config import MAX_DAYS, MAX_HOURS
from snapshot_copy.prune_config import MAX_KEEP_LAST

REPO = Path(__file__).resolve().parents[1]
MODULE = Path("modules/rds-snapshot-copy")
MODULE_ROOT_FIXTURE = Path("tests/fixtures/module_root")
SNAPSHOT_KINDS = REPO / MODULE / "snapshot_kinds.json"


@pytest.fixture(autouse=True)
def _terraform_installed() -> None:
    # The test command needs terraform; a missing one is a failure, never a skip.
    assert terraform_binary(), "the terraform CLI is not on PATH: install terraform >= 1.9"


_COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".terraform",
    ".terraform.lock.hcl",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "build",
    "dist",
    "*.tfstate",
    "*.tfstate.*",
    "*.tfplan",
    "*_override.tf",
    "*.auto.tfvars",
    "*.auto.tfvars.json",
)


@pytest.fixture(scope="session", autouse=True)
def _offline_capable_terraform() -> None:
    use_offline_capable_config()


@pytest.fixture(scope="session")
def repo_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository without git, caches or local state; module sources are relative, so copy it whole."""
    destination = tmp_path_factory.mktemp("repo") / "repo"
    shutil.copytree(REPO, destination, ignore=_COPY_IGNORE)
    return destination


def _init(working_dir: Path) -> Terraform:
    tf = Terraform(working_dir=str(working_dir))
    code, out, err = tf.init(backend=False)
    assert code == 0, f"terraform init failed in {working_dir}:\n{out}\n{err}"
    return tf


def _validate(tf: Terraform) -> dict:
    code, out, err = tf.cmd("validate", json=IsFlagged, no_color=IsFlagged)
    result = json.loads(out)
    diagnostics = json.dumps(result["diagnostics"], indent=2)
    assert code == 0 and result["valid"], f"terraform validate failed:\n{diagnostics}\n{err}"
    assert result["error_count"] == 0
    return result


def _known_event_ids() -> list[str]:
    kinds = json.loads(SNAPSHOT_KINDS.read_text())
    return sorted(event_id for kind in kinds.values() for event_id in kind["created_events"])


def test_module_validates_through_fixture_root(repo_copy: Path) -> None:
    tf = _init(repo_copy / MODULE_ROOT_FIXTURE)
    _validate(tf)
    # The fixture's lock file proves the provider came from the mirror (or the registry), at a version
    # the module accepts.
    lock = (repo_copy / MODULE_ROOT_FIXTURE / ".terraform.lock.hcl").read_text()
    assert 'provider "registry.terraform.io/hashicorp/aws"' in lock


def test_module_native_tests_pass(repo_copy: Path) -> None:
    module_dir = repo_copy / MODULE
    test_files = sorted(p.name for p in (module_dir / "tests").glob("*.tftest.hcl"))
    assert test_files, "the module has no native tests"
    tf = _init(module_dir)
    code, out, err = tf.cmd("test", no_color=IsFlagged)
    assert code == 0, f"terraform test failed:\n{out}\n{err}"
    summary = re.search(r"Success! (\d+) passed, (\d+) failed", out)
    assert summary, f"no success summary in terraform test output:\n{out}"
    passed, failed = map(int, summary.groups())
    assert failed == 0 and passed >= 40, out
    for name in test_files:
        assert f"tests/{name}... pass" in out, f"{name} did not pass:\n{out}"


def test_repository_root_validates(repo_copy: Path) -> None:
    mirror = find_mirror()
    archive_mirrored = mirror is not None and "registry.terraform.io/hashicorp/archive" in mirrored_providers(mirror)
    if not archive_mirrored and not registry_reachable():
        pytest.skip("needs the Terraform registry to install hashicorp/archive; none reachable from this machine")
    tf = _init(repo_copy)
    _validate(tf)


def test_terraform_fmt_is_clean(repo_copy: Path) -> None:
    result = subprocess.run(
        [terraform_binary(), "fmt", "-check", "-recursive", "-diff", "-no-color"],
        cwd=repo_copy,
        env=terraform_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    hint = "terraform fmt would change these files (run `terraform fmt -recursive`)"
    assert result.returncode == 0, f"{hint}:\n{result.stdout}{result.stderr}"


def checkov_command() -> list[str]:
    """checkov pins an old boto3, so `make test` installs it in a virtualenv of its own and names it in CHECKOV."""
    if os.environ.get("CHECKOV"):
        return [os.environ["CHECKOV"]]
    if importlib.util.find_spec("checkov") is not None:
        return [sys.executable, "-m", "checkov.main"]
    found = shutil.which("checkov")
    assert found, "checkov is not installed: run the tests with `make test`, which installs it"
    return [found]


def test_checkov_finds_nothing(repo_copy: Path) -> None:
    result = subprocess.run(
        [
            *checkov_command(),
            "--framework",
            "terraform",
            # Not --quiet: the report must list the skipped checks, to check their reasons.
            "--compact",
            "--skip-download",
            "-o",
            "json",
            "-d",
            str(repo_copy),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.strip(), f"checkov printed nothing:\n{result.stderr}"
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    terraform = [r for r in reports if r.get("check_type") == "terraform"]
    assert terraform, f"checkov scanned no Terraform:\n{result.stdout[:2000]}"
    summary = terraform[0]["summary"]
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}:{c['file_line_range']}): {c['check_name']}"
        for c in terraform[0]["results"].get("failed_checks", [])
    ]
    assert summary["failed"] == 0, "checkov failed checks:\n" + "\n".join(failed)
    assert summary["passed"] > 0 and summary["resource_count"] > 0, summary
    # A skip is only acceptable inline, with its reason next to it.
    for skipped in terraform[0]["results"].get("skipped_checks", []):
        reason = (skipped.get("check_result") or {}).get("suppress_comment", "")
        where = f"{skipped['check_id']} in {skipped['file_path']}"
        assert reason and reason != "No comment provided", f"{where} is skipped without a reason"


@pytest.mark.parametrize("variables_file", [MODULE / "variables.tf", Path("variables.tf")])
def test_snapshot_event_ids_default_is_every_known_event(variables_file: Path) -> None:
    # A variable default must be a literal, so it repeats the catalogue's keys; keep them in step.
    text = (REPO / variables_file).read_text()
    block = re.search(r'variable "snapshot_event_ids" \{(.*?)\n\}', text, re.S)
    assert block, f"no snapshot_event_ids variable in {variables_file}"
    default = re.search(r"^\s*default\s*=\s*(\[.*?\])", block.group(1), re.M | re.S)
    assert default, f"snapshot_event_ids has no default in {variables_file}"
    assert sorted(json.loads(default.group(1))) == _known_event_ids()


def _variable_block(variables_file: Path, name: str) -> str:
    text = (REPO / variables_file).read_text()
    block = re.search(rf'variable "{name}" \{{(.*?)\n\}}', text, re.S)
    assert block, f"no {name} variable in {variables_file}"
    return block.group(1)


@pytest.mark.parametrize(
    ("variable", "bound"),
    [("retention_days", MAX_DAYS), ("keep_last", MAX_KEEP_LAST), ("rpo_hours", MAX_HOURS)],
)
def test_upper_bounds_are_the_functions_own(variable: str, bound: int) -> None:
    # The functions refuse a span past config.MAX_DAYS / MAX_HOURS by name (their date arithmetic overflows
    # past it); the module refuses the same value at plan time (tests/bounds.tftest.hcl), with the bound in its
    # message. A validation cannot read Python, so the number is written there: kept equal here.
    block = _variable_block(MODULE / "variables.tf", variable)
    assert f"var.{variable} <= {bound}" in block, f"{variable}'s validation does not bound it at {bound}"
    assert f"{variable} must be at most {bound}" in block, f"{variable}'s message does not name {bound}"
    tests = (REPO / MODULE / "tests" / "bounds.tftest.hcl").read_text()
    assert re.search(rf"^\s*{variable}\s*=\s*{bound}\s*$", tests, re.M), f"bounds.tftest.hcl does not accept {bound}"
