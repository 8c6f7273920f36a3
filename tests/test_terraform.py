"""Offline checks of the Terraform code: the module (the repository's root) validates, its native tests pass,
fmt and checkov find nothing, and what the .tf files must keep in step with (the catalogues, the functions'
bounds, the deprecated names) is.

Every terraform command runs in a copy under tmp_path, so no `.terraform` directory, lock file or zip lands
in the work tree. `terraform init` installs hashicorp/aws from the local provider mirror when there is one,
and hashicorp/archive (the module zips its own lambda/) from the registry or, where none is reachable, from
the offline stand-in (rds_snapshot_copy.terraform_cli, rds_snapshot_copy.demo.offline_archive).
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

from rds_snapshot_copy.demo.stack import copy_module
from rds_snapshot_copy.terraform_cli import terraform_binary, terraform_env, use_offline_capable_config
from snapshot_copy.config import MAX_DAYS, MAX_HOURS
from snapshot_copy.prune_config import MAX_KEEP_LAST
from tests.support import docs

REPO = Path(__file__).resolve().parents[1]
CATALOGUES = REPO / "lambda" / "snapshot_copy"
SNAPSHOT_KINDS = CATALOGUES / "snapshot_kinds.json"
# The module's native tests: `terraform test` at the root finds tests/*.tftest.hcl.
NATIVE_TESTS = REPO / "tests"
# A stack's two provider configurations, for validating the module on its own: it declares them as
# configuration_aliases, and `terraform validate` of a module with aliases and no caller fails.
CALLER_PROVIDERS = """\
provider "aws" {
  alias  = "source"
  region = "eu-west-1"
}

provider "aws" {
  alias  = "destination"
  region = "eu-central-1"
}
"""


@pytest.fixture(autouse=True)
def _terraform_installed() -> None:
    # The test command needs terraform; a missing one is a failure, never a skip.
    assert terraform_binary(), "the terraform CLI is not on PATH: install terraform >= 1.9"


_COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv*",
    "node_modules",
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
    """The repository without git, caches or local state: the module, its tests and the examples."""
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
    assert result["error_count"] == 0 and result["warning_count"] == 0, diagnostics
    return result


def _module_files() -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(REPO.glob("*.tf"))}


def _known_event_ids() -> list[str]:
    kinds = json.loads(SNAPSHOT_KINDS.read_text())
    return sorted(event_id for kind in kinds.values() for event_id in kind["created_events"])


def test_module_validates(tmp_path: Path) -> None:
    # The module alone, as a stack gets it from a git source (no tests, examples or Python project), with
    # the two provider configurations a caller passes.
    module = copy_module(REPO, tmp_path / "module")
    assert not (module / "examples").exists() and not (module / "src").exists()
    (module / "caller_providers.tf").write_text(CALLER_PROVIDERS)
    tf = _init(module)
    _validate(tf)
    lock = (module / ".terraform.lock.hcl").read_text()
    assert 'provider "registry.terraform.io/hashicorp/aws"' in lock
    assert 'provider "registry.terraform.io/hashicorp/archive"' in lock


def test_module_is_the_root_and_configures_no_provider() -> None:
    files = _module_files()
    # A module with provider blocks cannot be used with count/for_each and pins its callers' settings.
    offenders = [name for name, text in files.items() if re.search(r'^provider "', text, re.M)]
    assert not offenders, f"provider blocks in the module: {offenders}"
    versions = files["versions.tf"]
    assert re.search(r"configuration_aliases\s*=\s*\[aws\.source, aws\.destination\]", versions), versions
    assert re.search(r'archive = \{\s*source\s*=\s*"hashicorp/archive"\s*version\s*=\s*">= 2\.4"', versions), versions
    assert not (REPO / "modules" / "rds-snapshot-copy").exists(), "the module moved to the repository's root"
    assert sorted(p.name for p in (REPO / "modules").iterdir()) == ["function", "receive-budget", "source-account"]


def test_catalogues_are_files_in_the_functions_package() -> None:
    # One source of truth, no links: the functions read them next to their code, Terraform from there too.
    for name in ("snapshot_kinds.json", "copy_tags.json"):
        path = CATALOGUES / name
        assert path.is_file() and not path.is_symlink(), f"{path} must be a file, not a link"
        json.loads(path.read_text())
        assert not (REPO / name).exists(), f"a second {name} at the root"
    text = "\n".join(_module_files().values())
    for name in ("snapshot_kinds.json", "copy_tags.json"):
        reads = re.findall(rf'file\("([^"]*){re.escape(name)}"\)', text)
        assert reads and set(reads) == {"${path.module}/lambda/snapshot_copy/"}, (name, reads)


def test_module_native_tests_pass(repo_copy: Path) -> None:
    test_files = sorted(p.name for p in NATIVE_TESTS.glob("*.tftest.hcl"))
    assert len(test_files) >= 15, f"the module's native tests are missing: {test_files}"
    tf = _init(repo_copy)
    code, out, err = tf.cmd("test", no_color=IsFlagged)
    assert code == 0, f"terraform test failed:\n{out}\n{err}"
    summary = re.search(r"Success! (\d+) passed, (\d+) failed", out)
    assert summary, f"no success summary in terraform test output:\n{out}"
    passed, failed = map(int, summary.groups())
    assert failed == 0 and passed >= 150, out
    for name in test_files:
        assert f"tests/{name}... pass" in out, f"{name} did not pass:\n{out}"


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
    # The module's own files are scanned, not only the examples that call it.
    scanned = {c["file_path"] for c in terraform[0]["results"].get("passed_checks", [])}
    for name in ("/sqs.tf", "/kms.tf", "/iam_copier.tf", "/copy_requests.tf", "/modules/function/main.tf"):
        assert name in scanned, f"checkov did not scan {name}: {sorted(scanned)}"
    # A skip is only acceptable inline, with its reason next to it.
    for skipped in terraform[0]["results"].get("skipped_checks", []):
        reason = (skipped.get("check_result") or {}).get("suppress_comment", "")
        where = f"{skipped['check_id']} in {skipped['file_path']}"
        assert reason and reason != "No comment provided", f"{where} is skipped without a reason"


@pytest.mark.parametrize("variables_file", [Path("variables.tf"), Path("examples/complete/variables.tf")])
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
    block = _variable_block(Path("variables.tf"), variable)
    assert f"var.{variable} <= {bound}" in block, f"{variable}'s validation does not bound it at {bound}"
    assert f"{variable} must be at most {bound}" in block, f"{variable}'s message does not name {bound}"
    tests = (NATIVE_TESTS / "bounds.tftest.hcl").read_text()
    assert re.search(rf"^\s*{variable}\s*=\s*{bound}\s*$", tests, re.M), f"bounds.tftest.hcl does not accept {bound}"


_DEPRECATED = re.compile(r"^Deprecated: use (\w+); removed in 0\.6\.")


def test_deprecated_names_lead_to_their_replacements() -> None:
    # Each old input is declared with a null default, its replacement exists, and deprecated.tf resolves it
    # and names it in the warning; each old output has the value of its replacement.
    variables = dict(docs.blocks(REPO, "variable"))
    deprecated_tf = (REPO / "deprecated.tf").read_text()
    old_inputs = {name: _DEPRECATED.match(docs._description(body)) for name, body in variables.items()}
    old_inputs = {name: match.group(1) for name, match in old_inputs.items() if match}
    assert len(old_inputs) == 8, old_inputs
    for old, new in old_inputs.items():
        assert new in variables and not _DEPRECATED.match(docs._description(variables[new])), (old, new)
        assert docs._attribute(variables[old], "default") == "null", f"{old} must default to null"
        assert re.search(rf"^\s*{new}\s*=\s*var\.{old} != null \? var\.{old} : var\.{new}$", deprecated_tf, re.M), old
        assert re.search(rf'^\s*{old}\s*=\s*\{{ name = "{new}", set = var\.{old} != null \}}$', deprecated_tf, re.M), (
            old
        )
        # Only deprecated.tf reads the old name, the new one's validations aside.
        readers = [
            name
            for name, text in _module_files().items()
            if f"var.{old}" in text and name not in ("deprecated.tf", "variables.tf")
        ]
        assert not readers, f"var.{old} is read in {readers}: read local.{new}"

    outputs = dict(docs.blocks(REPO, "output"))
    old_outputs = {name: _DEPRECATED.match(docs._description(body)) for name, body in outputs.items()}
    old_outputs = {name: match.group(1) for name, match in old_outputs.items() if match}
    assert set(old_outputs) == {
        "function_name",
        "function_arn",
        "role_arn",
        "log_group_name",
        "lambda_environment",
        "prune_function_name",
        "prune_function_arn",
        "prune_role_arn",
        "reconcile_function_name",
        "reconcile_function_arn",
        "reconcile_role_arn",
    }
    for old, new in old_outputs.items():
        assert docs._attribute(outputs[old], "value") == docs._attribute(outputs[new], "value"), (old, new)
