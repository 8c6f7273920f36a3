"""An offline stand-in for the hashicorp/archive Terraform provider, for the tests only.

The root module zips lambda/ with `data "archive_file"`; no registry is reachable here and the local
provider mirror holds only hashicorp/aws. This package serves that one data source (type "zip",
`source_dir`, `excludes`) from Python, writing the project's own deterministic package
(rds_snapshot_copy.package), so that `terraform init` + `plan`/`apply` of the root work offline:

    archive_provider.install(tmp_path / "mirror", sys.executable)  # returns the provider's executable
    config = archive_provider.write_cli_config(tmp_path / "terraformrc", tmp_path / "mirror")
    subprocess.run(["terraform", "init"], cwd=root, env=archive_provider.terraform_env(config), ...)

or, in one call, `config = archive_provider.prepare(tmp_path)`. The python given must have the PyPI
package `tf` (the plugin protocol) and this project (rds_snapshot_copy) installed.

The CLI configuration installs nothing `direct`ly and uses no plugin cache: the stand-in must never
land in a cache that a real `terraform init` could later take hashicorp/archive 2.7.1 from.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import sys
from pathlib import Path

from rds_snapshot_copy.terraform_cli import find_mirror, mirrored_providers

REPO = Path(__file__).resolve().parents[3]
PROVIDER = "registry.terraform.io/hashicorp/archive"
VERSION = "2.7.1"

_ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def terraform_platform() -> str:
    """Terraform's name for this machine's platform, as in the mirror's layout (linux_amd64)."""
    machine = platform.machine().lower()
    return f"{platform.system().lower()}_{_ARCHES.get(machine, machine)}"


def executable_path(mirror_dir: Path) -> Path:
    return Path(mirror_dir) / PROVIDER / VERSION / terraform_platform() / f"terraform-provider-archive_v{VERSION}"


def install(mirror_dir: Path, python: str) -> Path:
    """Lay out the stand-in in `mirror_dir` as an unpacked filesystem-mirror entry of hashicorp/archive
    2.7.1 and return its executable: a script that runs the provider with `python` (isolated mode, so
    neither the environment nor the working directory changes what it imports)."""
    executable = executable_path(mirror_dir)
    executable.parent.mkdir(parents=True, exist_ok=True)
    bootstrap = (
        f"import sys; sys.path[:0] = {[str(REPO), str(REPO / 'src')]!r}; "
        "from tests.support.archive_provider.provider import main; main()"
    )
    executable.write_text(
        "#!/bin/sh\n"
        "# Test stand-in for hashicorp/archive, written by tests/support/archive_provider.install.\n"
        f'exec {shlex.quote(python)} -I -c {shlex.quote(bootstrap)} "$@"\n'
    )
    executable.chmod(0o755)
    return executable


def _hcl_string(value: object) -> str:
    return json.dumps(str(value))


def cli_config_text(archive_mirror: Path, aws_mirror: Path | None) -> str:
    """provider_installation: hashicorp/archive from `archive_mirror`, whatever `aws_mirror` holds (but
    archive) from there; nothing direct, no plugin cache."""
    blocks = [(Path(archive_mirror).resolve(), [PROVIDER])]
    if aws_mirror is not None:
        others = [p for p in mirrored_providers(Path(aws_mirror)) if p != PROVIDER]
        if others:
            blocks.append((Path(aws_mirror), others))
    lines = ["provider_installation {"]
    for path, includes in blocks:
        lines += [
            "  filesystem_mirror {",
            f"    path    = {_hcl_string(path)}",
            f"    include = [{', '.join(_hcl_string(p) for p in includes)}]",
            "  }",
        ]
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_cli_config(path: Path, archive_mirror: Path, aws_mirror: Path | None = None) -> Path:
    """Write the CLI configuration to `path` and return it. `aws_mirror` defaults to the local provider
    mirror that rds_snapshot_copy.terraform_cli finds (/opt/tf-plugins here); without one, only the
    archive stand-in can be installed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(cli_config_text(archive_mirror, aws_mirror if aws_mirror is not None else find_mirror()))
    return path


def terraform_env(cli_config: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """An environment for terraform with `cli_config`, and no plugin cache from the caller's environment."""
    env = dict(os.environ if base is None else base)
    env["TF_CLI_CONFIG_FILE"] = str(cli_config)
    env["TF_IN_AUTOMATION"] = "1"
    env["CHECKPOINT_DISABLE"] = "1"
    env.pop("TF_PLUGIN_CACHE_DIR", None)
    env.pop("TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE", None)
    return env


def prepare(directory: Path, python: str = sys.executable) -> Path:
    """Install the stand-in under `directory`/mirror and write `directory`/terraformrc; return the latter."""
    directory = Path(directory)
    install(directory / "mirror", python)
    return write_cli_config(directory / "terraformrc", directory / "mirror")
