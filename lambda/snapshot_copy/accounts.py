"""Whose snapshots this deployment copies: this account's only (single-account mode, the default), or those
of the source accounts that share snapshots with it (backup-account mode: the vault).

  SOURCE_ACCOUNT_IDS      comma-separated 12-digit account ids; absent or empty: this account only (today's
                          behaviour). In backup mode the vault's own account is a source only if listed.
  SOURCE_ORGANIZATION_ID  optional (o-...): with it the accounts need not be listed; the organization
                          condition of the copier's role and of the queue's policy is the gate (the function
                          cannot ask AWS Organizations from a member account), so the copier accepts any account
                          unless some are listed too.

Backup mode = either is set. The function's own account comes from the Lambda context
(runtime.account_of_context: the invoked function's ARN), else from one sts:GetCallerIdentity per container
(the entry files); the cores take it as an argument.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .errors import ConfigurationError

logger = logging.getLogger(__name__)

_ACCOUNT = re.compile(r"^\d{12}$")
_ORGANIZATION = re.compile(r"^o-[a-z0-9]{10,32}$")


def account_ids(env: Mapping[str, str], name: str = "SOURCE_ACCOUNT_IDS") -> tuple[str, ...]:
    """The listed accounts, in order and without duplicates; a malformed one is refused by name."""
    listed: list[str] = []
    for part in (env.get(name) or "").split(","):
        account = part.strip()
        if not account:
            continue
        if not _ACCOUNT.match(account):
            raise ConfigurationError(f"{name} must list 12-digit AWS account ids, got {account!r}")
        if account not in listed:
            listed.append(account)
    return tuple(listed)


def organization_id(env: Mapping[str, str], name: str = "SOURCE_ORGANIZATION_ID") -> str | None:
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    if not _ORGANIZATION.match(raw):
        raise ConfigurationError(
            f"{name} must be an AWS Organizations id (o- and 10 to 32 lowercase letters or digits), got {raw!r}"
        )
    return raw


@dataclass(frozen=True)
class Accounts:
    """The source accounts a deployment accepts (see the module docstring)."""

    listed: tuple[str, ...] = ()
    organization: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Accounts:
        return cls(account_ids(env), organization_id(env))

    @property
    def backup_mode(self) -> bool:
        return bool(self.listed) or self.organization is not None

    def allows(self, account: str, own_account: str | None) -> bool:
        """Whether a snapshot of `account` may be copied. `own_account` None (not known: a caller without a
        Lambda context or STS, e.g. the benchmark): in single-account mode nothing is refused, as before."""
        if self.listed:
            return account in self.listed
        if self.organization is not None:
            return True
        return own_account is None or account == own_account

    def includes_own(self, own_account: str | None) -> bool:
        """Whether the deployment's own account is a source (always in single-account mode)."""
        return not self.backup_mode or (own_account is not None and own_account in self.listed)

    def describe(self, own_account: str | None) -> str:
        """The allowed accounts, as a reason names them."""
        if self.listed:
            return f"SOURCE_ACCOUNT_IDS {', '.join(self.listed)}"
        if self.organization is not None:
            return f"the accounts of organization {self.organization}"
        return f"this account only ({own_account or 'unknown'}; SOURCE_ACCOUNT_IDS is empty)"

    def refusal(self, account: str, own_account: str | None) -> str | None:
        """None when `account` is allowed; else the reason (naming the account and the allowed ones)."""
        if self.allows(account, own_account):
            return None
        return (
            f"snapshot of account {account}, which this deployment does not copy from: it copies from "
            f"{self.describe(own_account)}"
        )


def caller_account(sts: Any) -> str | None:
    """The account of the credentials (sts:GetCallerIdentity, which needs no permission): the entry files ask
    it once per container when the Lambda context names no function ARN. None when STS cannot answer (the
    account rule then refuses nothing in single-account mode, as before it existed)."""
    try:
        account = sts.get_caller_identity().get("Account")
    except (BotoCoreError, ClientError) as exc:
        logger.warning(f"could not read this function's account from STS: {exc}")
        return None
    return account if isinstance(account, str) and _ACCOUNT.match(account) else None
