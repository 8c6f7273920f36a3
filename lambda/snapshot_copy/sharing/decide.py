"""What the source side does with a new snapshot: share it as it is, make a share copy to share, refuse it as
unshareable (and say why), or leave it alone.

RDS's rules (the sharing guides for DB and DB cluster snapshots):
- only manual snapshots can be shared: an automated one gets a share copy;
- a snapshot under the default `aws/rds` key cannot be shared, and one under a customer key can be copied by
  the vault only if that key grants the vault's copier. Which keys do is the platform team's word
  (SHAREABLE_KMS_KEY_ARNS); the share key (SHARE_KMS_KEY_ID) is the module's own. Any other key, aws/rds
  included, gets a share copy under the share key: so no KMS call is needed to tell aws/rds apart;
- a snapshot whose option group holds TDE (Oracle "TDE"/"TDE_HSM", SQL Server "TDE") or a permanent or
  persistent option cannot be shared (Oracle's Timezone and OLS options excepted), and a copy of it cannot
  either: it is Unshareable, with the option named, and never retried.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ..kinds import KINDS
from ..outcomes import error_code
from .config import ShareConfig
from .naming import is_share_copy

AVAILABLE = "available"
TDE_OPTIONS = frozenset({"TDE", "TDE_HSM"})
# RDS lets Oracle snapshots with these permanent or persistent options be shared all the same.
ORACLE_SHAREABLE_OPTIONS = frozenset({"Timezone", "OLS"})
# Default option groups cannot be given options: nothing in one can block a share.
DEFAULT_OPTION_GROUP_PREFIX = "default:"
_OPTION_GROUP_GONE = frozenset({"OptionGroupNotFoundFault"})

SHARE_AS_IS = "share"
SHARE_COPY = "share_copy"
UNSHAREABLE = "unshareable"
IGNORE = "ignore"
PENDING = "pending"  # our share copy, not available yet: its own event or the clean-up shares it
NOT_READY = "not_ready"  # a snapshot not yet available: try again


@dataclass(frozen=True)
class Plan:
    action: str
    code: str
    reason: str


def is_encrypted(snapshot: Mapping[str, Any]) -> bool:
    """DB snapshots say Encrypted, cluster snapshots StorageEncrypted."""
    return bool(snapshot.get("Encrypted", snapshot.get("StorageEncrypted")))


def decide(
    snapshot: Mapping[str, Any],
    kind: str,
    config: ShareConfig,
    rds: Any,
    selected: Any = None,
) -> Plan:
    """The plan for one described snapshot of `kind`. `selected()`: the source filter's Decision for it (only
    asked of a customer's snapshot; None: everything is selected)."""
    table = KINDS[kind]
    name = snapshot.get(table.identifier_key)
    status = snapshot.get("Status")
    if is_share_copy(snapshot, kind, config.deployment_name):
        if status != AVAILABLE:
            return Plan(PENDING, "ShareCopyNotAvailable", f"share copy {name} is {status}; shared once available")
        return Plan(SHARE_AS_IS, "ShareCopy", f"share copy {name} is available")
    if is_share_copy(snapshot, kind):
        return Plan(IGNORE, "ForeignShareCopy", f"{name} is another source deployment's share copy")
    if status != AVAILABLE:
        return Plan(NOT_READY, "SnapshotNotAvailable", f"{name} is {status}, not {AVAILABLE} yet")
    if selected is not None:
        decision = selected()
        if not decision.selected:
            return Plan(IGNORE, "NotSelected", f"{name}: {decision.reason}")
    blocked = blocking_option(snapshot, kind, rds)
    if blocked is not None:
        return Plan(UNSHAREABLE, blocked[0], f"{name}: {blocked[1]}")
    snapshot_type = snapshot.get("SnapshotType")
    if snapshot_type != "manual":
        return Plan(SHARE_COPY, "NotManual", f"{name} is a {snapshot_type} snapshot; RDS shares manual ones only")
    if not is_encrypted(snapshot):
        return Plan(SHARE_AS_IS, "Unencrypted", f"{name} is manual and unencrypted")
    key = snapshot.get("KmsKeyId")
    if key == config.share_kms_key_id:
        return Plan(SHARE_AS_IS, "ShareKey", f"{name} is manual, under the share key")
    if key in config.shareable_kms_key_arns:
        return Plan(SHARE_AS_IS, "ShareableKey", f"{name} is manual, under {key} (in shareable_kms_key_arns)")
    return Plan(
        SHARE_COPY,
        "KeyNotShareable",
        f"{name} is under {key}, which is neither the share key nor in shareable_kms_key_arns (aws/rds cannot be "
        "shared; a customer key may not grant the vaults)",
    )


def blocking_option(snapshot: Mapping[str, Any], kind: str, rds: Any) -> tuple[str, str] | None:
    """(code, reason) when the snapshot's option group keeps RDS from sharing it, else None. Cluster snapshots
    carry no option group."""
    group = snapshot.get("OptionGroupName")
    if not KINDS[kind].copy_takes_option_group or not group or group.startswith(DEFAULT_OPTION_GROUP_PREFIX):
        return None
    try:
        found = rds.describe_option_groups(OptionGroupName=group).get("OptionGroupsList", [])
    except ClientError as exc:
        if error_code(exc) in _OPTION_GROUP_GONE:
            # Nothing to read: RDS judges the share itself, and its refusal is Unshareable too.
            return None
        raise
    engine = str(snapshot.get("Engine") or "")
    for option_group in found:
        for option in option_group.get("Options", []):
            option_name = option.get("OptionName", "")
            if option_name in TDE_OPTIONS:
                return (
                    "TdeOption",
                    f"option group {group} has the {option_name} option (TDE): RDS does not share TDE-encrypted "
                    f"{engine or 'Oracle or SQL Server'} snapshots",
                )
            lasting = [word for word in ("permanent", "persistent") if option.get(word.capitalize())]
            if lasting and not (engine.startswith("oracle") and option_name in ORACLE_SHAREABLE_OPTIONS):
                return (
                    "PermanentOption",
                    f"option group {group} has the {' and '.join(lasting)} option {option_name}: RDS does not "
                    "share snapshots with permanent or persistent options",
                )
    return None
