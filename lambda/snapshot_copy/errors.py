"""The project's own exception types: each names what is wrong, never a bare KeyError."""

from __future__ import annotations


class SnapshotCopyError(Exception):
    """Base class: an event could not be turned into a copy."""

    code = "SnapshotCopyError"


class ConfigurationError(SnapshotCopyError):
    """The function's environment is missing or has an invalid setting."""

    code = "ConfigurationError"


class MalformedEventError(SnapshotCopyError):
    """An event of an enabled type that cannot be read (no JSON, no or a bad snapshot ARN)."""

    code = "MalformedEvent"


class CopyFailedError(SnapshotCopyError):
    """The copy cannot succeed, or could not be started within its tries; `code` says why."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class CopyPostponedError(SnapshotCopyError):
    """The copy should be tried again later (no free copy slot, throttling, a transient error)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code
