"""How every function's boto3 clients behave."""

from __future__ import annotations

from botocore.config import Config

# Standard retry mode absorbs short throttling inside one call; longer trouble is the caller's to handle
# (the copier's queue, the scheduled functions' retries).
BOTO_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=30)
