"""What became of one event, and how AWS error codes map onto that.

Statuses: `started`, `exists` and `ignored` are done (the message is deleted); `wait` (no free copy
slot), `wait_quota` (the destination's manual snapshot quota is full: the pruner frees room, so the
message comes back after hours) and `retry` (a transient error) come back later, bounded by the message's
age and receive count; `retry_limited` (usually permanent, but sometimes transient, e.g. IAM right after a
deploy) comes back a few times only; `failed` goes to the dead-letter queue at once, with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

DONE = frozenset({"started", "exists", "ignored"})
POSTPONED = frozenset({"wait", "wait_quota", "retry", "retry_limited"})

# A snapshot being made, copied, shared or deleted: the same call succeeds once that has ended.
SNAPSHOT_BUSY_CODES = frozenset(
    {"InvalidDBSnapshotState", "InvalidDBSnapshotStateFault", "InvalidDBClusterSnapshotStateFault"}
)
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "SlowDown",
    }
)
TRANSIENT_CODES = frozenset(
    {
        "InternalFailure",
        "InternalError",
        "InternalServerError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
        "RequestExpired",
        # The source is not `available` yet (or is being modified): it will be.
        *SNAPSHOT_BUSY_CODES,
    }
)
SOURCE_GONE_CODES = frozenset({"DBSnapshotNotFound", "DBSnapshotNotFoundFault", "DBClusterSnapshotNotFoundFault"})
ALREADY_EXISTS_CODES = frozenset({"DBSnapshotAlreadyExists", "DBClusterSnapshotAlreadyExistsFault"})
QUOTA_CODES = frozenset({"SnapshotQuotaExceeded", "SnapshotQuotaExceededFault"})
# Wrong requests: a retry sends the same request again.
INVALID_REQUEST_CODES = frozenset(
    {"InvalidParameterValue", "InvalidParameterCombination", "ValidationError", "MissingParameter"}
)
ACCESS_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "KMSKeyNotAccessibleFault",
        "UnauthorizedOperation",
        "AuthorizationError",
    }
)
# "Cannot create more than 100 manual snapshots" is the account's manual snapshot quota; the in-progress
# copy limit reads "Cannot copy more than 20 snapshots across regions". The first lasts until snapshots
# are deleted (the pruner runs daily), the second until a copy finishes: both are waits, of hours and of
# minutes.
MANUAL_QUOTA_MARKER = "manual snapshots"


@dataclass(frozen=True)
class Outcome:
    status: str
    code: str
    reason: str
    target: str | None = None
    # The status of a broken copy of ours deleted at the target name on the way (BrokenCopiesReplaced).
    replaced: str | None = None
    # The source snapshot the event named, where it named one (even an event refused as malformed): what the
    # copy requests table records, so that the queue never reads the message's body a second time.
    source_arn: str | None = None
    # A copy started: whether an incremental base was in the destination (False: a full copy; None: no copy).
    incremental: bool | None = None

    @property
    def done(self) -> bool:
        return self.status in DONE


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "Unknown"))


def error_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", error))


def classify_client_error(error: ClientError, doing: str) -> Outcome:
    """Map a botocore ClientError (by its code) onto what to do with the event."""
    code = error_code(error)
    message = f"{doing}: {code}: {error_message(error)}"
    status_code = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code in THROTTLING_CODES or code in TRANSIENT_CODES or (isinstance(status_code, int) and status_code >= 500):
        return Outcome("retry", code, message)
    if code in SOURCE_GONE_CODES:
        return Outcome("failed", "SourceSnapshotNotFound", message)
    if code in QUOTA_CODES:
        if MANUAL_QUOTA_MARKER in error_message(error).lower():
            return Outcome("wait_quota", "ManualSnapshotQuotaExceeded", message)
        return Outcome("wait", "CopyQuotaExceeded", message)
    if code in INVALID_REQUEST_CODES:
        return Outcome("failed", code, message)
    # Access denied and anything unknown: usually permanent, but IAM and KMS grants take a moment to
    # reach every region after a deploy, so give them a few tries before the dead-letter queue.
    return Outcome("retry_limited", code, message)


def classify_exception(error: Exception, doing: str) -> Outcome:
    if isinstance(error, ClientError):
        return classify_client_error(error, doing)
    if isinstance(error, (ConnectionError, HTTPClientError)):
        return Outcome("retry", type(error).__name__, f"{doing}: {error}")
    if isinstance(error, BotoCoreError):
        return Outcome("retry_limited", type(error).__name__, f"{doing}: {error}")
    raise error
