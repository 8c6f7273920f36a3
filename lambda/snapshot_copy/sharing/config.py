"""The source side's settings, from the environment its module (modules/source-account) sets.

VAULTS is the JSON list of the vaults' `backup_account` outputs (the part the source side reads); every
vault copies from this region, so its queue must be in SOURCE_REGION: a vault of another region would never
copy what is shared with it, and is refused here by name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..config import DEFAULT_METRIC_NAMESPACE, MAX_DAYS, environment, positive_int, require
from ..config import deployment_name as read_deployment_name
from ..errors import ConfigurationError
from ..events import event_ids_from
from ..filters import SourceFilter

# RDS lets a manual snapshot be shared with at most 20 accounts.
MAX_SHARED_ACCOUNTS = 20
DEFAULT_SHARE_TIMEOUT_DAYS = 7
# The source module's default `name` (design17: the role is "<name>-<region>").
DEFAULT_SOURCE_DEPLOYMENT_NAME = "rds-snapshot-share"

_ACCOUNT = re.compile(r"^\d{12}$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(?P<account>\d{12}):role/.+$")
# A key ARN, not an alias: a snapshot names its key by the key's ARN, which is what these are compared with.
_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:(?P<region>[a-z0-9-]+):\d{12}:key/.+$")
_QUEUE_URL = re.compile(r"^https?://(?P<host>[^/]+)/(?P<account>\d{12})/[A-Za-z0-9_.-]+$")
# AWS's queue host names its region; an emulator's (the demo's) does not, and is not checked.
_QUEUE_HOST_REGION = re.compile(r"^sqs\.(?P<region>[a-z0-9-]+)\.")
_VAULT_KEYS = ("account_id", "queue_url", "reader_role_arn", "destination_region", "deployment_name", "copier_role_arn")


@dataclass(frozen=True)
class Vault:
    """One vault (a root module deployment in a backup account) this source shares with."""

    account_id: str
    queue_url: str
    reader_role_arn: str
    destination_region: str
    deployment_name: str
    copier_role_arn: str = ""

    @property
    def name(self) -> str:
        """How logs name it: one backup account may hold two vaults (two destination regions)."""
        return f"{self.account_id}/{self.destination_region}/{self.deployment_name}"


@dataclass(frozen=True, kw_only=True)
class ShareConfig:
    source_region: str
    vaults: tuple[Vault, ...]
    share_kms_key_id: str
    shareable_kms_key_arns: frozenset[str] = frozenset()
    enabled_event_ids: frozenset[str] = frozenset()
    share_timeout_days: int = DEFAULT_SHARE_TIMEOUT_DAYS
    metric_namespace: str = DEFAULT_METRIC_NAMESPACE
    deployment_name: str = DEFAULT_SOURCE_DEPLOYMENT_NAME
    source_filter: SourceFilter = field(default_factory=SourceFilter)

    @property
    def vault_accounts(self) -> tuple[str, ...]:
        """The accounts a snapshot is shared with, each once (two vaults may share an account), in order."""
        return tuple(dict.fromkeys(vault.account_id for vault in self.vaults))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ShareConfig:
        env = environment(env)
        require(env, "SOURCE_REGION", "VAULTS", "SHARE_KMS_KEY_ID")
        region = env["SOURCE_REGION"]
        share_key = env["SHARE_KMS_KEY_ID"].strip()
        _check_key(share_key, region, "SHARE_KMS_KEY_ID")
        shareable = frozenset(part.strip() for part in env.get("SHAREABLE_KMS_KEY_ARNS", "").split(",") if part.strip())
        for key in sorted(shareable):
            _check_key(key, None, "SHAREABLE_KMS_KEY_ARNS")
        # The module's rule for `name` (config.deployment_name), with the source module's default.
        deployment = read_deployment_name(env) if (env.get("DEPLOYMENT_NAME") or "").strip() else None
        return cls(
            source_region=region,
            vaults=parse_vaults(env["VAULTS"], region),
            share_kms_key_id=share_key,
            shareable_kms_key_arns=shareable,
            enabled_event_ids=event_ids_from(env.get("ENABLED_EVENT_IDS", "")),
            share_timeout_days=positive_int(env, "SHARE_TIMEOUT_DAYS", DEFAULT_SHARE_TIMEOUT_DAYS, MAX_DAYS),
            metric_namespace=env.get("METRIC_NAMESPACE") or DEFAULT_METRIC_NAMESPACE,
            deployment_name=deployment or DEFAULT_SOURCE_DEPLOYMENT_NAME,
            source_filter=SourceFilter.from_json(env.get("SOURCE_FILTER")),
        )


def _check_key(key: str, region: str | None, name: str) -> None:
    match = _KEY_ARN.match(key)
    if match is None:
        raise ConfigurationError(f"{name} must hold KMS key ARNs (arn:aws:kms:<region>:<account>:key/<id>): {key!r}")
    if region is not None and match["region"] != region:
        raise ConfigurationError(f"{name} {key!r} is in {match['region']}, not in SOURCE_REGION {region}")


def parse_vaults(raw: str, source_region: str) -> tuple[Vault, ...]:
    """VAULTS: a JSON list of 1 to 20 objects (the vaults' `backup_account` outputs); each named in errors."""
    try:
        doc: Any = json.loads(raw)
    except ValueError as exc:
        raise ConfigurationError(f"VAULTS is not JSON: {exc}") from None
    if not isinstance(doc, list) or not doc:
        raise ConfigurationError(f"VAULTS must be a non-empty JSON list of vault objects, got {raw!r:.120}")
    vaults = tuple(_vault(item, index, source_region) for index, item in enumerate(doc))
    accounts = {vault.account_id for vault in vaults}
    if len(accounts) > MAX_SHARED_ACCOUNTS:
        raise ConfigurationError(
            f"VAULTS names {len(accounts)} accounts; RDS shares a snapshot with at most {MAX_SHARED_ACCOUNTS}"
        )
    return vaults


def _vault(item: Any, index: int, source_region: str) -> Vault:
    where = f"VAULTS[{index}]"
    if not isinstance(item, dict):
        raise ConfigurationError(f"{where} must be an object, got {item!r:.80}")
    missing = [key for key in _VAULT_KEYS[:5] if not isinstance(item.get(key), str) or not item[key]]
    if missing:
        raise ConfigurationError(f"{where} has no {', '.join(missing)}")
    vault = Vault(**{key: str(item.get(key) or "") for key in _VAULT_KEYS})
    if not _ACCOUNT.match(vault.account_id):
        raise ConfigurationError(f"{where}.account_id must be 12 digits, got {vault.account_id!r}")
    role = _ROLE_ARN.match(vault.reader_role_arn)
    if role is None or role["account"] != vault.account_id:
        raise ConfigurationError(
            f"{where}.reader_role_arn must be a role of account {vault.account_id}, got {vault.reader_role_arn!r}"
        )
    queue = _QUEUE_URL.match(vault.queue_url)
    if queue is None or queue["account"] != vault.account_id:
        raise ConfigurationError(
            f"{where}.queue_url must be an SQS queue URL of account {vault.account_id}, got {vault.queue_url!r}"
        )
    host = _QUEUE_HOST_REGION.match(queue["host"])
    if host is not None and host["region"] != source_region:
        raise ConfigurationError(
            f"{where} ({vault.name}) copies from {host['region']} (its queue's region), not from this "
            f"SOURCE_REGION {source_region}: it would never copy what is shared with it"
        )
    if vault.destination_region == source_region:
        raise ConfigurationError(f"{where}.destination_region must differ from SOURCE_REGION {source_region}")
    return vault
