"""Settings every function shares, read from environment variables, and the helpers that read them.

Each function extends `FunctionConfig` with its own settings (copy_config.py for the copier), so a
function that needs no KMS key never asks for one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ConfigurationError

DEFAULT_METRIC_NAMESPACE = "RdsSnapshotCopy"


def environment(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def require(env: Mapping[str, str], *names: str) -> None:
    missing = [name for name in names if not env.get(name)]
    if missing:
        raise ConfigurationError(f"missing environment variable(s): {', '.join(missing)}")


def positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 1:
        raise ConfigurationError(f"{name} must be at least 1, got {value}")
    return value


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
        }
