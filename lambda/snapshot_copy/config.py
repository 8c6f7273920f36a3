"""Settings every function shares, read from environment variables, and the helpers that read them.

Each function extends `FunctionConfig` with its own settings (copy_config.py for the copier), so a
function that needs no KMS key never asks for one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ConfigurationError
from .ownership import Owner

DEFAULT_METRIC_NAMESPACE = "RdsSnapshotCopy"
# The longest span any setting in days may name (retention, a backfill window): a hundred years, as AWS
# Backup's longest retention. Past it a date computation overflows (datetime's year 1), so the module's
# validation, the functions' settings and the command refuse more, by name.
MAX_DAYS = 36500
MAX_HOURS = MAX_DAYS * 24

# The module's default `name`: the identity of a deployment whose environment names none (ownership.py).
DEFAULT_DEPLOYMENT_NAME = "rds-snapshot-copy"
# The module's own rule for `name` (variables.tf), so that a copy's deployment tag is always one it can set.
_DEPLOYMENT_NAME = re.compile(r"^[a-z][a-z0-9-]{0,45}[a-z0-9]$")


def environment(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def require(env: Mapping[str, str], *names: str) -> None:
    missing = [name for name in names if not env.get(name)]
    if missing:
        raise ConfigurationError(f"missing environment variable(s): {', '.join(missing)}")


def positive_int(env: Mapping[str, str], name: str, default: int, maximum: int | None = None) -> int:
    """A whole number from 1 to `maximum` (None: no bound); `default` when unset. A setting past its bound
    is refused by name rather than overflowing a date computation later."""
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 1:
        raise ConfigurationError(f"{name} must be at least 1, got {value}")
    if maximum is not None and value > maximum:
        raise ConfigurationError(f"{name} must be at most {maximum}, got {value}")
    return value


def deployment_name(env: Mapping[str, str]) -> str:
    """DEPLOYMENT_NAME, the module's `name`: the identity written on every copy and required to touch one."""
    raw = (env.get("DEPLOYMENT_NAME") or "").strip()
    if not raw:
        return DEFAULT_DEPLOYMENT_NAME
    if not _DEPLOYMENT_NAME.match(raw):
        raise ConfigurationError(
            f"DEPLOYMENT_NAME must be the module's name: 2 to 47 lowercase letters, digits and hyphens, starting "
            f"with a letter and not ending with a hyphen, got {raw!r}"
        )
    return raw


def boolean(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("true", "1", "yes"):
        return True
    if raw in ("false", "0", "no"):
        return False
    raise ConfigurationError(f"{name} must be true or false, got {env.get(name)!r}")


@dataclass(frozen=True, kw_only=True)
class FunctionConfig:
    """The two regions and where the metrics go: what every function of the module needs."""

    source_region: str
    destination_region: str
    metric_namespace: str = DEFAULT_METRIC_NAMESPACE
    deployment_name: str = DEFAULT_DEPLOYMENT_NAME

    @property
    def owner(self) -> Owner:
        """Whose copies this function may touch (ownership.py)."""
        return Owner(self.deployment_name, self.source_region)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Any:
        return cls(**cls.fields_from_env(environment(env)))

    @classmethod
    def fields_from_env(cls, env: Mapping[str, str]) -> dict[str, Any]:
        require(env, "SOURCE_REGION", "DESTINATION_REGION")
        source, destination = env["SOURCE_REGION"], env["DESTINATION_REGION"]
        if source == destination:
            raise ConfigurationError("SOURCE_REGION and DESTINATION_REGION must differ")
        return {
            "source_region": source,
            "destination_region": destination,
            "metric_namespace": env.get("METRIC_NAMESPACE") or DEFAULT_METRIC_NAMESPACE,
            "deployment_name": deployment_name(env),
        }
