"""Make `terraform init` work offline where a provider mirror exists, and online everywhere else.

Terraform reads its CLI configuration from ``TF_CLI_CONFIG_FILE``. We write one that installs every
provider found in a local filesystem mirror from that mirror, and everything else from the registry
(``direct``), so the same command works on a laptop, in CI and on a machine with no registry access.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import tempfile
from functools import lru_cache
from pathlib import Path

REGISTRY_HOST = "registry.terraform.io"

# Where provider mirrors are commonly laid out; TF_PROVIDER_MIRROR names another.
_MIRROR_CANDIDATES = (
    "/opt/tf-plugins",
    "/usr/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
)


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


def cli_config_text(mirror: Path | None) -> str:
    # The cache turns the 700 MB provider copy that every `init` would make into a symlink.
    PLUGIN_CACHE.mkdir(parents=True, exist_ok=True)
    cache = f'plugin_cache_dir = "{PLUGIN_CACHE}"\n'
    if mirror is None:
        return cache + "provider_installation {\n  direct {}\n}\n"
    includes = ", ".join(f'"{p}"' for p in mirrored_providers(mirror))
    return (
        cache + "provider_installation {\n"
        "  filesystem_mirror {\n"
        f'    path    = "{mirror}"\n'
        f"    include = [{includes}]\n"
        "  }\n"
        "  direct {\n"
        f"    exclude = [{includes}]\n"
        "  }\n"
        "}\n"
    )


# Where the CLI configuration is written: one file per distinct content, kept, so that repeated calls (every
# `rds-snapshot-copy terraformrc`, every test session) reuse it instead of leaving a directory behind each time.
CONFIG_DIR = Path(os.environ.get("RDS_SNAPSHOT_COPY_CACHE", "~/.cache/rds-snapshot-copy")).expanduser()


@lru_cache(maxsize=1)
def cli_config_file() -> Path:
    """Write the CLI configuration (once per content; atomically, for concurrent callers) and return its path."""
    text = cli_config_text(find_mirror())
    CONFIG_DIR.mkdir(parents=True, exist_ok=True)
    path = CONFIG_DIR / f"terraformrc-{hashlib.sha256(text.encode()).hexdigest()[:12]}"
    if not path.exists() or path.read_text() != text:
        with tempfile.NamedTemporaryFile("w", dir=CONFIG_DIR, prefix=".terraformrc-", delete=False) as out:
            out.write(text)
        os.replace(out.name, path)
    return path


def terraform_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """An environment for running terraform with the offline-capable CLI configuration."""
    env = dict(os.environ if base is None else base)
    env["TF_CLI_CONFIG_FILE"] = str(cli_config_file())
    env["TF_IN_AUTOMATION"] = "1"
    env["CHECKPOINT_DISABLE"] = "1"
    env.setdefault("TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE", "1")
    return env


def use_offline_capable_config() -> None:
    """Point this process's environment (and so every terraform it starts) at the CLI configuration."""
    os.environ.update({k: v for k, v in terraform_env().items() if k not in os.environ or k.startswith("TF_")})
