"""The demo's Terraform side: a throw-away workspace, and the stack Terraform deploys from it into the emulator.

The workspace is a copy of the module (the repository's root: its *.tf, modules/ and lambda/) with an example
at its place below it, so that the example's `source = "../../"` finds the module as it does in a checkout,
and the example is deployed unchanged: a generated `*_override.tf` supplies the emulator's endpoints and fake
credentials, a generated `*.auto.tfvars.json` the variables and the prebuilt deterministic function package.
Terraform runs through python-terraform with the offline-capable CLI configuration (terraform_cli: providers
from a local mirror, hashicorp/archive from the offline stand-in where no registry is reachable).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from python_terraform import IsFlagged, Terraform

# Clients and DeployedPolicies are re-exported for the tests that import them from here (tests/conftest.py,
# tests/iam); their home is aws.py and readback.py.
from rds_snapshot_copy.demo.aws import DESTINATION_REGION, SOURCE_REGION
from rds_snapshot_copy.demo.aws import Clients as Clients
from rds_snapshot_copy.demo.emulator import ACCOUNT_ID, PROVIDER_ALIASES, provider_override
from rds_snapshot_copy.demo.readback import DeployedPolicies as DeployedPolicies
from rds_snapshot_copy.package import Package, build_package
from rds_snapshot_copy.terraform_cli import terraform_env

EXAMPLE = Path("examples/complete")
# What marks a directory as the repository: the module at its root, and the example.
MODULE_MARKERS = ("versions.tf", "main.tf", "lambda")
IGNORED = shutil.ignore_patterns(
    ".terraform",
    "terraform.tfstate*",
    ".terraform.lock.hcl",
    "__pycache__",
    "*.pyc",
    "tests",
    "*_override.tf",
    "*.auto.tfvars*",
    "build",
)
# What of the repository's root is not the module: the Python project, its tests, docs and benchmark, the
# examples (the one deployed is copied on its own), and dot-directories (.git, virtualenvs, caches). All the
# rest is copied, so that whatever the module reads (lambda/, modules/, a JSON file) is there.
NOT_THE_MODULE = shutil.ignore_patterns(".*", "bench", "docs", "examples", "src", "dist", "node_modules")

OVERRIDE_FILE = "emulator_override.tf"
DEMO_SOURCE_FILTER = {"exclude_tags": {"copy-to-dr": ["false"]}}
# The key's guard needs a key admin (key_admin_principal_arns): the demo names a break-glass role, which
# the emulator does not check exists; tests/iam/test_compliance_permissions.py proves what it may do.
DEMO_KEY_ADMIN_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/rds-snapshot-copy-break-glass"
TFVARS_FILE = "emulator.auto.tfvars.json"


_PR_SET_PDEATHSIG = 1
TERRAFORM_INTERRUPT_GRACE_SECONDS = 90


def _terraform_dies_with_parent() -> None:  # between fork and exec
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class ManagedTerraform(Terraform):
    """python-terraform with a child process the harness controls.

    The stock `cmd` shares the terminal's process group (Ctrl-C hits Terraform and the harness at
    once, and the harness loses the child it was waiting for) and only returns output at the end.
    Here Terraform runs in its own process group, its lines are passed to `on_line` as they come, and
    an interrupt of the harness is forwarded as one SIGINT, after which Terraform is waited for (it
    finishes its in-flight calls and writes its state), so a destroy can follow without a stale lock.
    """

    def __init__(self, working_dir: Path, env: dict[str, str], on_line: Callable[[str], None] | None = None) -> None:
        super().__init__(working_dir=str(working_dir))
        self.env = env
        self.on_line = on_line
        self.process: subprocess.Popen[str] | None = None

    def cmd(self, cmd: str, *args: Any, **kwargs: Any) -> tuple[int, str, str]:
        kwargs.pop("capture_output", None)
        raise_on_error = kwargs.pop("raise_on_error", False)
        command = self.generate_cmd_string(cmd, *args, **kwargs)
        lines: list[str] = []
        process = subprocess.Popen(
            command,
            cwd=self.working_dir,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,
            preexec_fn=_terraform_dies_with_parent if sys.platform.startswith("linux") else None,
        )
        self.process = process
        try:
            assert process.stdout is not None
            for line in process.stdout:
                lines.append(line)
                if self.on_line is not None:
                    self.on_line(line.rstrip("\n"))
            process.wait()
        except BaseException:
            self.interrupt()
            raise
        finally:
            self.process = None
            self.temp_var_files.clean_up()
        out = "".join(lines)
        if process.returncode != 0 and raise_on_error:
            from python_terraform import TerraformCommandError

            raise TerraformCommandError(process.returncode, " ".join(command), out=out, err="")
        return process.returncode, out, ""

    def interrupt(self) -> None:
        """Stop the running Terraform as Ctrl-C would, wait for it to save its state, then make sure."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        deadline = time.monotonic() + TERRAFORM_INTERRUPT_GRACE_SECONDS
        while process.poll() is None and time.monotonic() < deadline:
            try:
                process.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                continue
            except KeyboardInterrupt:  # a second Ctrl-C: do not wait any longer
                break
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class TerraformFailed(RuntimeError):
    def __init__(self, step: str, code: int, output: str) -> None:
        tail = "\n".join(output.splitlines()[-40:])
        super().__init__(f"terraform {step} failed (exit {code}):\n{tail}")
        self.output = output


def find_repo(start: Path | None = None) -> Path:
    """The checkout holding the module and the example: the working directory or one above it, else the
    one this package was installed from (a development install)."""
    candidates = [start or Path.cwd(), *(start or Path.cwd()).parents, *Path(__file__).resolve().parents]
    for candidate in candidates:
        if (candidate / EXAMPLE / "main.tf").is_file() and all((candidate / m).exists() for m in MODULE_MARKERS):
            return candidate
    raise FileNotFoundError(
        f"no {EXAMPLE} and no module ({', '.join(MODULE_MARKERS)}) here or above: run the demo in a checkout of "
        "the repository (or pass --repo)"
    )


def copy_module(repo: Path, into: Path) -> Path:
    """Copy the module (the repository's root but NOT_THE_MODULE, without local state or generated files) into
    `into`, symlinks followed; return `into`. An example copied to `into`/examples/NAME finds it at ../../."""
    top = Path(repo).resolve()

    def ignore(directory: str, names: list[str]) -> set[str]:
        ignored = set(IGNORED(directory, names))
        if Path(directory).resolve() == top:
            ignored |= set(NOT_THE_MODULE(directory, names))
        return ignored

    shutil.copytree(top, into, ignore=ignore, symlinks=False, dirs_exist_ok=True)
    return into


@dataclass
class Workspace:
    """A throw-away copy of the module and an example below it, with the generated emulator files."""

    root: Path
    package: Package
    example: Path = EXAMPLE

    @property
    def example_dir(self) -> Path:
        return self.root / self.example

    @classmethod
    def create(
        cls,
        endpoint: str,
        repo: Path | None = None,
        parent: Path | None = None,
        example: Path = EXAMPLE,
        variables: dict[str, Any] | None = None,
        provider_aliases: tuple[str, ...] = PROVIDER_ALIASES,
    ) -> Workspace:
        """Copy the module and `example` (default examples/complete) at its place below it, build the package,
        and write the provider override and the variables (default: the demo's) next to the example."""
        repo = find_repo() if repo is None else repo
        root = Path(tempfile.mkdtemp(prefix="rds-snapshot-copy-demo-", dir=parent))
        try:
            copy_module(repo, root)
            shutil.copytree(repo / example, root / example, ignore=IGNORED, symlinks=False)
            package = build_package(root / "build" / "lambda.zip")
            workspace = cls(root, package, example)
            (workspace.example_dir / OVERRIDE_FILE).write_text(provider_override(endpoint, provider_aliases))
            values: dict[str, Any] = {
                "source_region": SOURCE_REGION,
                "destination_region": DESTINATION_REGION,
                # A tag filter that leaves out only databases tagged copy-to-dr = false (none in the demo),
                # so the copier reads its sources' tags, with the permission that takes, as deployed.
                "source_filter": DEMO_SOURCE_FILTER,
                # The emulator's snapshots are all seconds old: the reconciler takes them at once.
                "reconcile_grace_minutes": 0,
                # The drill check on, as a quarterly drill would set it: the reconciler reads the drills'
                # metric back, with the permission that takes, as deployed (tests/iam proves it).
                "drill_max_age_days": 90,
                "key_admin_principal_arns": [DEMO_KEY_ADMIN_ARN],
            }
            if variables is not None:
                values = variables
            values = {
                **values,
                "lambda_package_path": str(package.path),
                "lambda_package_hash": package.base64_sha256,
            }
            (workspace.example_dir / TFVARS_FILE).write_text(json.dumps(values, indent=2) + "\n")
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise
        return workspace

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


class Stack:
    """The example deployed into the emulator through Terraform."""

    def __init__(self, workspace: Workspace, on_line: Callable[[str], None] | None = None) -> None:
        self.workspace = workspace
        env = terraform_env()
        # The example must not need anything from the environment: no AWS variables reach Terraform.
        env = {k: v for k, v in env.items() if not k.startswith("AWS_")}
        self.tf = ManagedTerraform(workspace.example_dir, env, on_line)
        self.applied = False

    def _run(self, step: str, result: tuple[int, str, str], ok: Iterable[int] = (0,)) -> str:
        code, out, err = result
        if code not in tuple(ok):
            raise TerraformFailed(step, code, (out or "") + (err or ""))
        return out or ""

    def init(self) -> str:
        return self._run("init", self.tf.init(input=False))

    def apply(self) -> str:
        self.applied = True  # from here on, a destroy is due whatever happens
        return self._run("apply", self.tf.apply(skip_plan=True, input=False))

    def plan(self) -> tuple[bool, str]:
        """(no changes, output) of `terraform plan -detailed-exitcode`."""
        code, out, err = self.tf.plan(detailed_exitcode=IsFlagged, input=False)
        if code not in (0, 2):
            raise TerraformFailed("plan", code, (out or "") + (err or ""))
        return code == 0, out or ""

    def outputs(self) -> dict[str, Any]:
        code, out, err = self.tf.output_cmd(json=IsFlagged, no_color=IsFlagged)
        if code != 0:
            raise TerraformFailed("output", code, (out or "") + (err or ""))
        return {name: value["value"] for name, value in json.loads(out).items()}

    def state_list(self) -> list[str]:
        return self._run("state list", self.tf.cmd("state", "list")).split()

    def state_rm(self, *addresses: str) -> list[str]:
        """Forget these resources (where Terraform manages them): a destroy then leaves them in place."""
        present = [address for address in addresses if address in self.state_list()]
        if present:
            self._run("state rm", self.tf.cmd("state", "rm", *present))
        return present

    def destroy(self, refresh: bool = False) -> str:
        # python-terraform passes -force to destroy unless told not to; Terraform 1.x wants -auto-approve.
        # No refresh by default: the state was written moments ago, and a refresh costs ~10 s here.
        out = self._run("destroy", self.tf.destroy(force=None, auto_approve=True, input=False, refresh=refresh))
        self.applied = False
        return out


# The module-created key and its alias: kept out of the destroy (kms_key_prevent_destroy), so that the
# copies stay restorable after the stack is removed.
KEPT_ON_REMOVAL = (
    "module.rds_snapshot_copy.aws_kms_key.this[0]",
    "module.rds_snapshot_copy.aws_kms_alias.this[0]",
)


def remove_keeping_key(stack: Stack) -> list[str]:
    """The README's safe removal: forget the key and its alias, destroy the rest; returns what was kept."""
    kept = stack.state_rm(*KEPT_ON_REMOVAL)
    stack.destroy()
    return kept
