"""A new stack takes the module from a git source, as a user's does (`source = "git::...?ref=<tag>"`), with only
its provider aliases and its own variables: no package to build, no path into a checkout. Applied to the
emulator, it deploys the functions with the package the module made of its own lambda/: the packager's hash.

The git repository is a copy of this working tree (tracked files and untracked ones git does not ignore) made
outside the checkout, committed and tagged, so that what is tested is what a release of this tree would be,
and the module cannot reach back into the checkout by a relative path.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from rds_snapshot_copy.demo.aws import DESTINATION_REGION, SOURCE_REGION, Clients
from rds_snapshot_copy.demo.emulator import Emulator
from rds_snapshot_copy.demo.stack import DEMO_KEY_ADMIN_ARN
from rds_snapshot_copy.package import build_package
from tests.e2e import terraform_runs

REPO = Path(__file__).resolve().parents[2]
TAG = "v0.0.0-e2e"
NAME = "from-git"

STACK = """terraform {{
  required_version = ">= 1.9"
  required_providers {{
    aws = {{
      source  = "hashicorp/aws"
      version = ">= 5.75"
    }}
  }}
}}

variable "name" {{
  type = string
}}

variable "source_region" {{
  type = string
}}

variable "destination_region" {{
  type = string
}}

provider "aws" {{
  alias  = "source"
  region = var.source_region
}}

provider "aws" {{
  alias  = "destination"
  region = var.destination_region
}}

module "snapshot_copy" {{
  source = "{source}"

  providers = {{
    aws.source      = aws.source
    aws.destination = aws.destination
  }}

  name = var.name
  # Required when the module creates the key (its guard): the role that may disable or delete it.
  key_admin_principal_arns = ["{key_admin}"]
}}

output "function_names" {{
  value = [
    module.snapshot_copy.copier_function_name,
    module.snapshot_copy.pruner_function_name,
    module.snapshot_copy.reconciler_function_name,
  ]
}}
"""


def git(*args: str, cwd: Path) -> str:
    binary = shutil.which("git")
    assert binary, "git is not installed: Terraform fetches git sources with it"
    identity = ("-c", "user.name=e2e", "-c", "user.email=e2e@example.invalid", "-c", "commit.gpgsign=false")
    result = subprocess.run([binary, *identity, *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
    return result.stdout


def release_of_working_tree(into: Path) -> Path:
    """The working tree's files (tracked, and untracked but not ignored; as they are on disk) in a new git
    repository at `into`, committed and tagged TAG."""
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO).split("\0")
    into.mkdir(parents=True)
    for name in sorted({n for n in listed if n}):
        source = REPO / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree, not yet in the index
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    git("init", "--quiet", cwd=into)
    git("add", "--all", cwd=into)
    git("commit", "--quiet", "--message", "the working tree, as a release", cwd=into)
    git("tag", TAG, cwd=into)
    return into


@pytest.mark.e2e
def test_a_stack_uses_the_module_from_a_git_source(tmp_path: Path) -> None:
    repository = release_of_working_tree(tmp_path / "repository")
    stack = tmp_path / "stack"
    stack.mkdir()
    (stack / "main.tf").write_text(
        STACK.format(source=f"git::file://{repository}?ref={TAG}", key_admin=DEMO_KEY_ADMIN_ARN)
    )
    expected = build_package(tmp_path / "expected" / "lambda.zip", source_dir=repository / "lambda")

    with Emulator() as emulator:
        variables = {"name": NAME, "source_region": SOURCE_REGION, "destination_region": DESTINATION_REGION}
        terraform_runs.point_at_emulator(stack, emulator.endpoint, variables)
        init = terraform_runs.run(stack, "init", "-input=false")
        assert f"?ref={TAG}" in init, init
        terraform_runs.run(stack, "apply", "-auto-approve", "-input=false")
        names = terraform_runs.outputs(stack)["function_names"]

        lambda_ = Clients(emulator)("lambda", SOURCE_REGION)
        deployed = {name: lambda_.get_function(FunctionName=name)["Configuration"] for name in names}
    assert names[0] == NAME, names
    for name, config in deployed.items():
        assert config["CodeSha256"] == expected.base64_sha256, (
            f"{name} runs {config['CodeSha256']}, not the package of the module's lambda/ ({expected.base64_sha256})"
        )
    # The module made the zip in its own directory under the stack's .terraform, not in the repository.
    assert not (repository / "build").exists()
    assert list((stack / ".terraform" / "modules" / "snapshot_copy" / "build").glob("*.zip"))
