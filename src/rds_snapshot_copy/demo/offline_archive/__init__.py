"""An offline stand-in for the hashicorp/archive Terraform provider: emulator support, like the patched moto.

The module zips its lambda/ with `data "archive_file"`, so every `terraform init` of it needs
hashicorp/archive. Where neither a local provider mirror nor the registry offers it (a machine with no
network, like the demo's CI), rds_snapshot_copy.terraform_cli installs this stand-in instead, from a
filesystem mirror that `install` lays out: it serves that one data source (type "zip", `source_dir`,
`excludes`) from Python, writing the project's own deterministic package (rds_snapshot_copy.package), so
its hashes are those of `rds-snapshot-copy package` of the same files.

    mirror = install(directory / "mirror", sys.executable)  # the provider's executable, in its mirror layout
    config = prepare(directory)  # the same, and a CLI configuration that takes hashicorp/archive from it

The python given must have the PyPI package `tf` (the plugin protocol; the [demo] extra) and this project.
A configuration that installs the stand-in has no plugin cache (terraform_cli): the stand-in must never
land in a cache that an online `terraform init` could later take hashicorp/archive 2.7.1 from.
"""

from __future__ import annotations

import os
import platform
import shlex
import sys
import tempfile
from pathlib import Path

# The directory that holds the rds_snapshot_copy package (src/ of a checkout, or site-packages).
SOURCE_ROOT = Path(__file__).resolve().parents[3]
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
    neither the environment nor the working directory changes what it imports). Written only when its
    content changes, and atomically: a terraform of another process may be starting it."""
    executable = executable_path(mirror_dir)
    executable.parent.mkdir(parents=True, exist_ok=True)
    bootstrap = (
        f"import sys; sys.path[:0] = {[str(SOURCE_ROOT)]!r}; "
        "from rds_snapshot_copy.demo.offline_archive.provider import main; main()"
    )
    script = (
        "#!/bin/sh\n"
        "# Offline stand-in for hashicorp/archive, written by rds_snapshot_copy.demo.offline_archive.install.\n"
        f'exec {shlex.quote(python)} -I -c {shlex.quote(bootstrap)} "$@"\n'
    )
    if not executable.is_file() or executable.read_text() != script:
        with tempfile.NamedTemporaryFile("w", dir=executable.parent, prefix=".install-", delete=False) as out:
            out.write(script)
        os.chmod(out.name, 0o755)  # an executable, as every provider in a mirror is
        os.replace(out.name, executable)
    return executable


def prepare(directory: Path, python: str = sys.executable) -> Path:
    """Install the stand-in under `directory`/mirror and write `directory`/terraformrc, a CLI configuration
    that takes hashicorp/archive from it (whatever the registry offers) and the rest as terraform_cli does;
    return the latter. For a test that wants the stand-in itself; anything else uses terraform_env()."""
    from rds_snapshot_copy.terraform_cli import cli_config_text, find_mirror

    directory = Path(directory)
    install(directory / "mirror", python)
    config = directory / "terraformrc"
    config.write_text(cli_config_text(find_mirror(), archive_stand_in=(directory / "mirror").resolve()))
    return config
