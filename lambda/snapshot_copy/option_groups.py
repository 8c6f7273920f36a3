"""The option group of a DB snapshot's copy (cluster snapshots have none).

An option group belongs to a region (and an account), so a DB snapshot under a non-default one ("default:..."
groups exist everywhere) needs one in the destination. In order:
  1. OPTION_GROUP_MAP (JSON object) maps the source's option group name to the destination's: OptionGroupName;
  2. OPTION_GROUP_NAME (0.x's setting, one group for every DB copy): OptionGroupName, as before;
  3. a snapshot shared from another account: CopyOptionGroup=True, RDS copies the group along (it allows that
     only on cross-account copies);
  4. otherwise RDS's own choice, as before.
RDS answering OptionGroupNotFoundFault dead-letters the event with a reason naming the group and
OPTION_GROUP_MAP (copier.py): a retry sends the same request again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .errors import ConfigurationError

DEFAULT_PREFIX = "default:"
NOT_FOUND_CODES = frozenset({"OptionGroupNotFoundFault", "OptionGroupNotFound"})


def option_group_map(env: Mapping[str, str], name: str = "OPTION_GROUP_MAP") -> dict[str, str]:
    """OPTION_GROUP_MAP as a dict of non-empty names; {} when unset. Anything else is refused by name."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} is not JSON: {exc}") from None
    if not isinstance(parsed, dict) or not all(
        isinstance(key, str) and key and isinstance(value, str) and value for key, value in parsed.items()
    ):
        raise ConfigurationError(
            f"{name} must be a JSON object of source option group names to destination option group names, "
            f"got {raw[:200]!r}"
        )
    return parsed


def source_option_group(source: Mapping[str, Any]) -> str | None:
    """The source DB snapshot's option group when it is not a default one (None: default or none)."""
    name = source.get("OptionGroupName")
    if not isinstance(name, str) or not name or name.startswith(DEFAULT_PREFIX):
        return None
    return name


def option_group_params(
    source: Mapping[str, Any], cross_account: bool, mapping: Mapping[str, str], option_group_name: str | None
) -> dict[str, Any]:
    """The CopyDBSnapshot parameters for the copy's option group (see the module docstring)."""
    group = source_option_group(source)
    if group is not None and group in mapping:
        return {"OptionGroupName": mapping[group]}
    if option_group_name:
        return {"OptionGroupName": option_group_name}
    if group is not None and cross_account:
        return {"CopyOptionGroup": True}
    return {}


def not_found_reason(source: Mapping[str, Any], params: Mapping[str, Any], arn: str, region: str) -> str:
    """Why a copy failed with OptionGroupNotFoundFault, and what to do about it."""
    group = source_option_group(source) or source.get("OptionGroupName") or "none"
    asked = params.get("OptionGroupName")
    if asked:
        what = f"option group {asked!r} (for the source's {group!r}) does not exist in {region}"
    elif params.get("CopyOptionGroup"):
        what = f"RDS could not copy the source's option group {group!r} to {region} (CopyOptionGroup)"
    else:
        what = f"the copy needs an option group for the source's {group!r} in {region}"
    return (
        f"copy of {arn}: {what}: create it there and map {group!r} to it in OPTION_GROUP_MAP "
        "(the module's option_group_map), then redrive this message"
    )
