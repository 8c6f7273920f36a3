"""The drill's clean-up: everything it created deleted, in a `finally`, and nothing of anyone else's.

Everything a drill creates is registered before the call that creates it (restore.Created; unregistered
when AWS answers that call with an error, AlreadyExists included: this call made nothing). Each is looked up
before its delete and deleted only when it carries this drill's token: Ctrl-C, SIGTERM (sigterm_interrupts)
or a failure halfway still clean up, and nothing of another drill's is ever deleted. What could not be
deleted is LEFT BEHIND, with the command that deletes it.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from rds_snapshot_copy.drill.names import TAG_DRILL
from rds_snapshot_copy.restore import Created, Plan, error_code, instance_exists

CLEANUP_TIMEOUT_SECONDS = 1800.0
# What delete_created says of each registered resource; anything else is LEFT BEHIND.
DELETED = "deleted"
ALREADY_GONE = "already gone"  # it existed, and was gone by the time of its delete
NEVER_CREATED = "never created"
NOT_THIS_DRILLS = "not this drill's: left alone"  # there, but without this drill's token
_CLEANED = frozenset({DELETED, ALREADY_GONE, NEVER_CREATED, NOT_THIS_DRILLS})
LEFT_BEHIND = "LEFT BEHIND"


def delete_created(
    rds: Any,
    created: Created,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    poll_seconds: float,
    timeout_seconds: float = CLEANUP_TIMEOUT_SECONDS,
    token: str | None = None,
) -> dict[str, str]:
    """Delete every registered resource: instances first, then (once their members are gone) clusters.
    {identifier: what happened}; anything not deleted says how to delete it.

    Each is looked up first: a resource registered but never created (interrupted before its create was
    answered) is "never created" without a delete, which the operator's policy would refuse anyway: it
    allows deletes only of what carries the drill's tag, and what does not exist has no tags. With `token`
    (this drill's TAG_DRILL value), one there without it is another's (its create was interrupted before
    AWS refused it): left alone."""
    outcome: dict[str, str] = {}
    instances = [i for kind, i in created.resources if kind == "instance"]
    clusters = [c for kind, c in created.resources if kind == "cluster"]
    deadline = clock() + timeout_seconds
    try:
        for identifier in instances:
            found = _presence(rds, "instance", identifier, token)
            if found is not None:
                outcome[identifier] = found
                continue
            outcome[identifier] = _delete(
                lambda i=identifier: rds.delete_db_instance(
                    DBInstanceIdentifier=i, SkipFinalSnapshot=True, DeleteAutomatedBackups=True
                ),
                {"DBInstanceNotFound"},
                {"InvalidDBInstanceState"},
                clock,
                sleep,
                poll_seconds,
                deadline,
            )
        if clusters:
            # A cluster cannot be deleted while its instances are still being deleted.
            deleting = [i for i in instances if outcome.get(i) == DELETED]
            while any(_may_exist(instance_exists, rds, i) for i in deleting) and clock() < deadline:
                sleep(poll_seconds)
        for identifier in clusters:
            found = _presence(rds, "cluster", identifier, token)
            if found is not None:
                outcome[identifier] = found
                continue
            outcome[identifier] = _delete(
                lambda c=identifier: rds.delete_db_cluster(DBClusterIdentifier=c, SkipFinalSnapshot=True),
                {"DBClusterNotFoundFault"},
                {"InvalidDBClusterStateFault", "DBClusterToBeDeletedHasActiveMembers"},
                clock,
                sleep,
                poll_seconds,
                deadline,
            )
    except KeyboardInterrupt:
        pass
    for kind, identifier in created.resources:
        if outcome.get(identifier) not in _CLEANED:
            command = (
                f"aws rds delete-db-instance --db-instance-identifier {identifier} --skip-final-snapshot"
                if kind == "instance"
                else f"aws rds delete-db-cluster --db-cluster-identifier {identifier} --skip-final-snapshot"
            )
            outcome[identifier] = f"{LEFT_BEHIND} ({outcome.get(identifier, 'interrupted')}): {command}"
    return outcome


def _presence(rds: Any, kind: str, identifier: str, token: str | None) -> str | None:
    """None when the resource is there to delete (or the look-up failed: the delete finds out); NEVER_CREATED
    when RDS says it does not exist; NOT_THIS_DRILLS when it is there without this drill's `token`."""
    try:
        if kind == "cluster":
            found = rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"]
        else:
            found = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
    except ClientError as exc:
        return NEVER_CREATED if error_code(exc) in {"DBInstanceNotFound", "DBClusterNotFoundFault"} else None
    except BotoCoreError:
        return None
    if not found:
        return NEVER_CREATED
    tags = {t["Key"]: t.get("Value") for t in found[0].get("TagList") or []}
    return None if token is None or tags.get(TAG_DRILL) == token else NOT_THIS_DRILLS


def _may_exist(exists: Callable[[Any, str], bool], rds: Any, identifier: str) -> bool:
    """False only when RDS says it does not exist: a look-up that fails leaves the delete to find out."""
    try:
        return exists(rds, identifier)
    except (ClientError, BotoCoreError):
        return True


def cleanup_text(plan: Plan, outcome: dict[str, str]) -> str:
    """What happened to each part of one restore, by part: "deleted: writer, cluster" for Aurora."""
    parts = [("writer", plan.writer), ("cluster", plan.target)] if plan.writer else [("instance", plan.target)]
    # Not registered: its create was never made, or was answered with an error.
    states = [(label, outcome.get(identifier, NEVER_CREATED)) for label, identifier in parts]
    if all(state == NEVER_CREATED for _, state in states):
        return "nothing created"
    if len(states) == 1:
        return states[0][1]
    left = [state.replace(LEFT_BEHIND, f"{LEFT_BEHIND} {label}", 1) for label, state in states if state not in _CLEANED]
    deleted = [label for label, state in states if state in (DELETED, ALREADY_GONE)]
    never = [label for label, state in states if state == NEVER_CREATED]
    others = [label for label, state in states if state == NOT_THIS_DRILLS]
    return "; ".join(
        [
            *left,
            *([f"{DELETED}: {', '.join(deleted)}"] if deleted else []),
            *([f"{NEVER_CREATED}: {', '.join(never)}"] if never else []),
            *([f"{NOT_THIS_DRILLS}: {', '.join(others)}"] if others else []),
        ]
    )


def _delete(
    call: Callable[[], Any],
    gone: set[str],
    busy: set[str],
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    poll_seconds: float,
    deadline: float,
) -> str:
    while True:
        try:
            call()
            return DELETED
        except ClientError as exc:
            code = error_code(exc)
            if code in gone:
                return ALREADY_GONE
            if code not in busy or clock() >= deadline:
                return f"{code}: {exc}"
        except BotoCoreError as exc:
            if clock() >= deadline:
                return f"{type(exc).__name__}: {exc}"
        sleep(poll_seconds)


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """SIGTERM (a CI job cancelled, a pod stopped) cleans up like Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
