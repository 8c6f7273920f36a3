"""The checks made before a restore changes anything: RDS would accept the call and fail it minutes later
(a name taken, a key disabled or pending deletion, an instance class not offered)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from rds_snapshot_copy.restore.aws import error_code
from rds_snapshot_copy.restore.copies import Located

USABLE_KEY_STATE = "Enabled"


def instance_exists(rds: Any, identifier: str) -> bool:
    try:
        return bool(rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"])
    except ClientError as exc:
        if error_code(exc) == "DBInstanceNotFound":
            return False
        raise


def cluster_exists(rds: Any, identifier: str) -> bool:
    try:
        return bool(rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"])
    except ClientError as exc:
        if error_code(exc) == "DBClusterNotFoundFault":
            return False
        raise


def check_target_free(rds: Any, kind: str, target: str, writer: str | None) -> list[str]:
    taken = []
    if kind == "cluster" and cluster_exists(rds, target):
        taken.append(f"target name {target!r} is taken: a DB cluster of that name exists (choose another: --target)")
    if kind == "db" and instance_exists(rds, target):
        taken.append(f"target name {target!r} is taken: a DB instance of that name exists (choose another: --target)")
    if writer and instance_exists(rds, writer):
        taken.append(f"writer name {writer!r} is taken: a DB instance of that name exists (--writer)")
    return taken


def check_keys(kms: Any, located: Located, override: str | None) -> list[str]:
    """RDS would accept the restore and fail it minutes later on an unusable key: check first."""
    keys = [("the copy's KMS key", located.copy.get("KmsKeyId"))]
    if override:
        keys.append(("--kms-key-id", override))
    problems = []
    for what, key in keys:
        if not key:
            continue
        try:
            metadata = kms.describe_key(KeyId=key)["KeyMetadata"]
        except ClientError as exc:
            if error_code(exc) == "NotFoundException":
                problems.append(f"{what} {key} does not exist in the destination region")
                continue
            raise
        state = metadata.get("KeyState")
        if state != USABLE_KEY_STATE:
            when = metadata.get("DeletionDate")
            problems.append(
                f"{what} {key} is {state}"
                + (f" (deleted on {when:%Y-%m-%d})" if isinstance(when, datetime) else "")
                + ": RDS cannot restore with it; re-enable it (or cancel its deletion) first"
            )
    return problems


def check_class_offered(
    rds: Any, engine: str, engine_version: str | None, instance_class: str, region: str, notes: list[str]
) -> list[str]:
    """Is `instance_class` orderable for this engine version in the destination? When the region lists no
    option at all for the engine version, it is not known here (a note; RDS will say)."""
    base = {"Engine": engine, **({"EngineVersion": engine_version} if engine_version else {})}
    if _orderable(rds, {**base, "DBInstanceClass": instance_class}, instance_class):
        return []
    if not _orderable(rds, base, None):
        notes.append(f"{region} lists no orderable options for {engine} {engine_version}: {instance_class} not checked")
        return []
    return [
        f"instance class {instance_class} is not offered for {engine} {engine_version} in {region}: "
        "choose another with --instance-class"
    ]


def _orderable(rds: Any, params: dict[str, Any], instance_class: str | None) -> bool:
    marker = None
    while True:
        page = rds.describe_orderable_db_instance_options(
            **params, MaxRecords=100, **({"Marker": marker} if marker else {})
        )
        for option in page.get("OrderableDBInstanceOptions", []):
            if instance_class is None or option.get("DBInstanceClass") == instance_class:
                return True
        marker = page.get("Marker")
        if not marker:
            return False
