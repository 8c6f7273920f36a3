"""Target snapshot identifiers that follow RDS's rules and never collide.

RDS: start with a letter; letters, digits and hyphens; no '--'; no trailing hyphen; at most 255
characters for DB snapshots and 63 for cluster snapshots. Automated snapshots are named 'rds:...'.
Every target ends with a digest of the full source ARN, so two different sources (an automated and a
manual snapshot of the same name, two source regions, two names that agree in their first 60
characters) never map to one target, and the same source always maps to the same one.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from .kinds import KINDS

MAX_IDENTIFIER_LENGTH = {name: kind.max_identifier_length for name, kind in KINDS.items()}
DIGEST_LENGTH = 8
AUTOMATED_PREFIX = "rds:"

_NOT_ALLOWED = re.compile(r"[^a-z0-9-]+")
_HYPHENS = re.compile(r"-{2,}")


def digest(text: str, length: int = DIGEST_LENGTH) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


# Pure, and asked for every copy of every listing (ownership.classify): the reconciler's and the copier's
# listings of a large destination repeat it for the same copies run after run.
@lru_cache(maxsize=65536)
def target_identifier(source_identifier: str, source_arn: str, kind: str) -> str:
    name = source_identifier.lower()
    if name.startswith(AUTOMATED_PREFIX):
        name = name[len(AUTOMATED_PREFIX) :]
    name = _HYPHENS.sub("-", _NOT_ALLOWED.sub("-", name)).strip("-")
    if not name[:1].isalpha():
        name = f"snapshot-{name}".rstrip("-")
    suffix = f"-{digest(source_arn)}"
    room = MAX_IDENTIFIER_LENGTH[kind] - len(suffix)
    return name[:room].rstrip("-") + suffix


def is_valid_identifier(identifier: str, kind: str) -> bool:
    return (
        0 < len(identifier) <= MAX_IDENTIFIER_LENGTH[kind]
        and identifier[:1].isalpha()
        and re.fullmatch(r"[A-Za-z0-9-]+", identifier) is not None
        and "--" not in identifier
        and not identifier.endswith("-")
    )
