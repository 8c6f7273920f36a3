"""Make `terraform init` work offline where a provider mirror exists, and online everywhere else.

Terraform reads its CLI configuration from ``TF_CLI_CONFIG_FILE``. We write one that installs every
provider found in a local filesystem mirror from that mirror, and everything else from the registry
(``direct``), so the same command works on a laptop, in CI and on a machine with no registry access.

The module zips lambda/ with hashicorp/archive's `archive_file`. Where neither a mirror nor the registry
offers hashicorp/archive, the configuration installs the command's own stand-in for it
(rds_snapshot_copy.demo.offline_archive: the same zip, from Python) from a mirror of its own, so that
`init` of the module works offline too. That configuration has no plugin cache: the stand-in must never
land in a cache that an online `init` could later take hashicorp/archive from.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import socket
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

REGISTRY_HOST = "registry.terraform.io"
ARCHIVE_PROVIDER = f"{REGISTRY_HOST}/hashicorp/archive"

# Where provider mirrors are commonly laid out; TF_PROVIDER_MIRROR names another.
_MIRROR_CANDIDATES = (
    "/opt/tf-plugins",
    "/usr/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
)

# The first line of a configuration that installs the stand-in (terraform_env reads it back).
STAND_IN_MARKER = "# hashicorp/archive: the offline stand-in of rds-snapshot-copy (no registry was reachable)"
# The environment that would put the stand-in into a shared plugin cache anyway.
_CACHE_VARIABLES = ("TF_PLUGIN_CACHE_DIR", "TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE")


def terraform_binary() -> str | None:
    return shutil.which("terraform")


def find_mirror() -> Path | None:
    """The first directory that holds an unpacked mirror of hashicorp/aws, if any."""
    candidates = [os.environ.get("TF_PROVIDER_MIRROR", ""), *_MIRROR_CANDIDATES]
    for raw in candidates:
        if not raw:
            continue
        root = Path(raw).expanduser()
        if any((root / REGISTRY_HOST / "hashicorp" / "aws").glob("*/*/terraform-provider-aws*")):
            return root
    return None


def mirrored_providers(mirror: Path) -> list[str]:
    """Provider source addresses ("registry.terraform.io/hashicorp/aws") present in the mirror."""
    found = []
    for host in sorted(p for p in mirror.iterdir() if p.is_dir()):
        for namespace in sorted(p for p in host.iterdir() if p.is_dir()):
            for provider in sorted(p for p in namespace.iterdir() if p.is_dir()):
                if any(provider.glob("*/*/terraform-provider-*")):
                    found.append(f"{host.name}/{namespace.name}/{provider.name}")
    return found


@lru_cache(maxsize=1)
def registry_reachable(timeout: float = 3.0) -> bool:
    """Whether the Terraform registry answers on 443 (it does not on an offline machine)."""
    try:
        with socket.create_connection((REGISTRY_HOST, 443), timeout=timeout):
            return True
    except OSError:
        return False


PLUGIN_CACHE = Path(os.environ.get("TF_PLUGIN_CACHE_DIR", "~/.cache/terraform-plugin-cache")).expanduser()


def _hcl_list(items: list[str]) -> str:
    return ", ".join(f'"{item}"' for item in items)


def cli_config_text(mirror: Path | None, archive_stand_in: Path | None = None) -> str:
    """provider_installation: what `mirror` holds from there; hashicorp/archive from `archive_stand_in` (a
    mirror holding the stand-in) when given; everything else from the registry."""
    blocks: list[tuple[Path, list[str]]] = []
    if archive_stand_in is not None:
        blocks.append((archive_stand_in, [ARCHIVE_PROVIDER]))
    if mirror is not None:
        held = [p for p in mirrored_providers(mirror) if archive_stand_in is None or p != ARCHIVE_PROVIDER]
        if held:
            blocks.append((mirror, held))
    if archive_stand_in is not None:
        head = (
            f"{STAND_IN_MARKER}\n# No plugin cache (leave TF_PLUGIN_CACHE_DIR unset): the stand-in stays out of it.\n"
        )
    else:
        # The cache turns the 700 MB provider copy that every direct `init` would make into a symlink.
        PLUGIN_CACHE.mkdir(parents=True, exist_ok=True)
        head = f'plugin_cache_dir = "{PLUGIN_CACHE}"\n'
    lines = ["provider_installation {"]
    for path, includes in blocks:
        lines += ["  filesystem_mirror {", f'    path    = "{path}"', f"    include = [{_hcl_list(includes)}]", "  }"]
    excluded = [p for _, includes in blocks for p in includes]
    lines += ["  direct {", f"    exclude = [{_hcl_list(excluded)}]", "  }"] if excluded else ["  direct {}"]
    lines.append("}")
    return head + "\n".join(lines) + "\n"


def stand_in_available() -> bool:
    """Whether this Python can run the stand-in (the [demo] extra's `tf` package)."""
    return importlib.util.find_spec("tf") is not None


def archive_stand_in_needed(mirror: Path | None) -> bool:
    """Neither the mirror nor the registry offers hashicorp/archive (and the stand-in can run here)."""
    if mirror is not None and ARCHIVE_PROVIDER in mirrored_providers(mirror):
        return False
    return not registry_reachable() and stand_in_available()


# Where the CLI configuration is written: one file per distinct content, kept, so that repeated calls (every
# `rds-snapshot-copy terraformrc`, every test session) reuse it instead of leaving a directory behind each time.
CONFIG_DIR = Path(os.environ.get("RDS_SNAPSHOT_COPY_CACHE", "~/.cache/rds-snapshot-copy")).expanduser()


def _write_once(path: Path, text: str) -> Path:
    """Write `text` to `path` unless it holds it already; atomically, for concurrent callers."""
    if not path.exists() or path.read_text() != text:
        with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}-", delete=False) as out:
            out.write(text)
        os.replace(out.name, path)
    return path


def _stand_in_mirror() -> Path:
    """The stand-in's mirror for this Python, under CONFIG_DIR (its executable names the interpreter)."""
    from rds_snapshot_copy.demo import offline_archive

    key = hashlib.sha256(f"{sys.executable}\n{offline_archive.SOURCE_ROOT}".encode()).hexdigest()[:12]
    mirror = CONFIG_DIR / f"archive-stand-in-{key}"
    offline_archive.install(mirror, sys.executable)
    return mirror


@lru_cache(maxsize=1)
def cli_config_file() -> Path:
    """Write the CLI configuration (once per content; atomically, for concurrent callers) and return its path."""
    CONFIG_DIR.mkdir(parents=True, exist_ok=True)
    mirror = find_mirror()
    text = cli_config_text(mirror, _stand_in_mirror() if archive_stand_in_needed(mirror) else None)
    return _write_once(CONFIG_DIR / f"terraformrc-{hashlib.sha256(text.encode()).hexdigest()[:12]}", text)


def installation_summary() -> str:
    """Where `terraform init` takes the providers from with the CLI configuration, in a few words."""
    stand_in = cli_config_file().read_text().startswith(STAND_IN_MARKER)
    mirror = find_mirror()
    held = [
        p.split("/", 1)[1]
        for p in (mirrored_providers(mirror) if mirror else [])
        if not stand_in or p != ARCHIVE_PROVIDER
    ]
    parts = [f"{', '.join(held)} from the local mirror"] if held else []
    if stand_in:
        parts.append("hashicorp/archive from the offline stand-in")
    parts.append("the rest from the registry" if registry_reachable() else "no registry")
    return "; ".join(parts)


def terraform_env(base: dict[str, str] | None = None, cli_config: Path | None = None) -> dict[str, str]:
    """An environment for running terraform with `cli_config` (default: the offline-capable one)."""
    config = cli_config_file() if cli_config is None else Path(cli_config)
    env = dict(os.environ if base is None else base)
    env["TF_CLI_CONFIG_FILE"] = str(config)
    env["TF_IN_AUTOMATION"] = "1"
    env["CHECKPOINT_DISABLE"] = "1"
    if config.read_text().startswith(STAND_IN_MARKER):
        for name in _CACHE_VARIABLES:
            env.pop(name, None)
    else:
        env.setdefault("TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE", "1")
    return env


def use_offline_capable_config() -> None:
    """Point this process's environment (and so every terraform it starts) at the CLI configuration."""
    env = terraform_env()
    os.environ.update({k: v for k, v in env.items() if k not in os.environ or k.startswith("TF_")})
    for name in _CACHE_VARIABLES:
        if name not in env:
            os.environ.pop(name, None)
