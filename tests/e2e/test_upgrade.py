"""Upgrading from 0.4.0 destroys nothing: its stacks, applied to the emulator, plan 0 to destroy with this version.

0.4.0 (commit 4e02433) came in two shapes, both upgraded here with the state they applied:

(a) the repository's root stack (its providers, a `data "archive_file"` of lambda/ and the module at
    ./modules/rds-snapshot-copy), which becomes examples/complete, calling the module at the root
    (`source = "../../"`) under the same module name;
(b) a stack of a user's calling 0.4.0's modules/rds-snapshot-copy, whose source now names the root.

Both old stacks are applied to one emulator at once (different names); each new one is planned, and the plan
must destroy (or replace) nothing. The plans' summaries are printed (pytest -s) for the release notes.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rds_snapshot_copy.demo.aws import DESTINATION_REGION, SOURCE_REGION
from rds_snapshot_copy.demo.emulator import ACCOUNT_ID, Emulator
from rds_snapshot_copy.demo.stack import EXAMPLE, IGNORED, copy_module
from rds_snapshot_copy.package import build_package
from tests.e2e import terraform_runs

REPO = Path(__file__).resolve().parents[2]
V040 = "4e02433"
PLAN_FILE = "upgrade.tfplan"

CALLER = """terraform {{
  required_version = ">= 1.9"
  required_providers {{
    aws = {{
      source  = "hashicorp/aws"
      version = ">= 5.75"
    }}
  }}
}}

provider "aws" {{
  alias  = "source"
  region = "{source_region}"
}}

provider "aws" {{
  alias  = "destination"
  region = "{destination_region}"
}}

module "snapshot_copy" {{
  source = "{source}"

  providers = {{
    aws.source      = aws.source
    aws.destination = aws.destination
  }}

  name                = "{name}"
  lambda_package_path = "{package_path}"
  lambda_package_hash = "{package_hash}"
{extra}}}
"""

# The one input the module requires now that 0.4.0 did not have (the key's guard, issue 18): the upgraded
# stacks set it, the 0.4.0 ones cannot. A key admin the emulator does not check exists.
KEY_ADMINS = [f"arn:aws:iam::{ACCOUNT_ID}:role/upgrade-break-glass"]


def extract_v040(into: Path) -> Path:
    """0.4.0's tree, from this clone's history (`git archive`); a clone without it skips, saying so."""
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed: the upgrade test takes 0.4.0 from the repository's history")
    found = subprocess.run([git, "-C", str(REPO), "cat-file", "-e", f"{V040}^{{commit}}"], check=False)
    if found.returncode != 0:
        pytest.skip(f"this clone has no commit {V040} (0.4.0), e.g. a shallow one: fetch the history to run it")
    archive = subprocess.run([git, "-C", str(REPO), "archive", "--format=tar", V040], capture_output=True, check=True)
    into.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into


def caller(directory: Path, source: str, name: str, package_dir: Path, lambda_dir: Path, extra: str = "") -> Path:
    """A user's stack calling the module at `source` (relative to `directory`), with a package of `lambda_dir`
    and the `extra` arguments (HCL lines)."""
    directory.mkdir(parents=True)
    package = build_package(package_dir / "lambda.zip", source_dir=lambda_dir)
    (directory / "main.tf").write_text(
        CALLER.format(
            source=source,
            name=name,
            package_path=package.path,
            package_hash=package.base64_sha256,
            source_region=SOURCE_REGION,
            destination_region=DESTINATION_REGION,
            extra=extra,
        )
    )
    return directory


@dataclass
class Upgrade:
    old: Path  # where the 0.4.0 stack was applied (its state is there)
    new: Path  # the upgraded configuration, not initialised yet
    name: str


@pytest.fixture(scope="module")
def upgrades(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Upgrade]]:
    """Both 0.4.0 stacks applied to one emulator, and their upgraded configurations beside them."""
    tmp = tmp_path_factory.mktemp("upgrade")
    v040 = extract_v040(tmp / "v040")
    current = copy_module(REPO, tmp / "current")
    shutil.copytree(REPO / EXAMPLE, current / EXAMPLE, ignore=IGNORED)
    with Emulator() as emulator:
        regions = {"source_region": SOURCE_REGION, "destination_region": DESTINATION_REGION}
        # (a) 0.4.0's root stack, and examples/complete now (its package made by the module: no package variables).
        root = Upgrade(v040, current / EXAMPLE, "upgrade-root")
        terraform_runs.point_at_emulator(root.old, emulator.endpoint, {"name": root.name, **regions})
        terraform_runs.point_at_emulator(
            root.new, emulator.endpoint, {"name": root.name, **regions, "key_admin_principal_arns": KEY_ADMINS}
        )
        # (b) a stack calling 0.4.0's module, then the same stack calling the module at the root.
        module = Upgrade(
            caller(
                tmp / "caller-0.4.0",
                "../v040/modules/rds-snapshot-copy",
                "upgrade-module",
                tmp / "v040-package",
                v040 / "lambda",
            ),
            caller(
                tmp / "caller-now",
                "../current",
                "upgrade-module",
                tmp / "package",
                REPO / "lambda",
                extra=f"  key_admin_principal_arns = {json.dumps(KEY_ADMINS)}\n",
            ),
            "upgrade-module",
        )
        for directory in (module.old, module.new):
            terraform_runs.point_at_emulator(directory, emulator.endpoint, {})
        old = [root.old, module.old]
        terraform_runs.run_all(*((d, ("init", "-input=false")) for d in old))
        terraform_runs.run_all(*((d, ("apply", "-auto-approve", "-input=false")) for d in old))
        for upgrade in (root, module):
            shutil.copy2(upgrade.old / "terraform.tfstate", upgrade.new / "terraform.tfstate")
        yield {"root": root, "module": module}


def plan(directory: Path) -> tuple[str, dict[str, Any]]:
    """`terraform plan -out`'s summary line, and `terraform show -json` of the plan."""
    terraform_runs.run(directory, "init", "-input=false")
    text = terraform_runs.run(directory, "plan", "-input=false", f"-out={PLAN_FILE}")
    summary = next((line for line in text.splitlines() if line.startswith(("Plan:", "No changes."))), text[-2000:])
    return summary, json.loads(terraform_runs.run(directory, "show", "-json", PLAN_FILE))


def describe(upgrade: Upgrade, summary: str, planned: dict[str, Any]) -> str:
    changes = planned.get("resource_changes", [])
    actions = Counter("+".join(c["change"]["actions"]) for c in changes)
    moved = sorted(f"{c['previous_address']} -> {c['address']}" for c in changes if c.get("previous_address"))
    updated = sorted(c["address"] for c in changes if c["change"]["actions"] == ["update"])
    return "\n".join(
        [
            f"{upgrade.name}: {summary}",
            f"  actions: {dict(sorted(actions.items()))}",
            f"  moved ({len(moved)}): " + "; ".join(moved),
            f"  updated in place ({len(updated)}): " + ", ".join(updated),
        ]
    )


def destroyed(planned: dict[str, Any]) -> list[str]:
    """Every resource the plan deletes, replaces or forgets."""
    return sorted(
        f"{c['address']} ({'+'.join(c['change']['actions'])})"
        for c in planned.get("resource_changes", [])
        if {"delete", "forget"} & set(c["change"]["actions"])
    )


@pytest.mark.e2e
@pytest.mark.parametrize("shape", ["root", "module"])
def test_upgrade_from_0_4_0_destroys_nothing(upgrades: dict[str, Upgrade], shape: str) -> None:
    upgrade = upgrades[shape]
    summary, planned = plan(upgrade.new)
    print("\n" + describe(upgrade, summary, planned))
    assert not destroyed(planned), f"upgrading {upgrade.name} destroys:\n" + "\n".join(destroyed(planned))
    assert summary.startswith("No changes.") or summary.endswith(" 0 to destroy."), summary
