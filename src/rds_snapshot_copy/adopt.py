"""`rds-snapshot-copy adopt`: make the copies 0.4.x made this deployment's own (the upgrade from 0.4).

0.4.x wrote no deployment tag on its copies. A copy in the destination whose source_region tag is this
deployment's source region and whose identifier is exactly the one the copier gives a copy of the source ARN
in its source_snapshot_arn tag, but which carries no deployment tag, is LEGACY (snapshot_copy.ownership): the
pruner never deletes it, the reconciler never takes it for a recovery point, restore and drill never pick it.
Whether it really is this deployment's only the operator can say (two 0.4.x deployments copying from one
region into one destination made copies that look alike). This command lists them and, with `--apply`, tags
each with this deployment's identity: rds:AddTagsToResource with the deployment tag alone, nothing else.

It never touches a snapshot that is not LEGACY: anyone else's (FOREIGN), or one that already carries a
deployment tag, whatever its value. Each snapshot is described again and judged again right before its tag
(another adopt, or a new copier, may have tagged it since the listing).

Dry run by default. Exit status (exit_codes): 0 nothing left to adopt (done, or none found); 1 (a finding)
LEGACY copies remain unadopted, with or without --apply (never a recovery point until adopted); 2 bad input,
or an AWS error: the destination could not be read (nothing tagged), or a tag was refused (`--json` still
prints the summary).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.table import Table

from rds_snapshot_copy import deployment
from rds_snapshot_copy.exit_codes import ERROR, FINDING, OK
from snapshot_copy.boto import BOTO_CONFIG
from snapshot_copy.kinds import KINDS
from snapshot_copy.listing import describe_one, pages
from snapshot_copy.ownership import LEGACY, OURS, Owner, classify
from snapshot_copy.snapshot_time import data_time
from snapshot_copy.tagging import TAG_DEPLOYMENT

HELP = (
    "List the copies made by 0.4.x for this deployment (its source region and the copier's exact identifier, "
    "but no deployment tag: never pruned, never a recovery point) and, with --apply, tag each with this "
    "deployment's name (the deployment tag only). Never touches another's snapshot or one that already has a "
    "deployment tag. Exits 1 while some remain unadopted."
)
# What each exit status means for `adopt` (its --help's epilog; exit_codes holds the scheme).
EXIT_CODES = {
    OK: "nothing left to adopt (done, or none found)",
    FINDING: "0.4.x copies remain unadopted (with or without --apply): never a recovery point until adopted",
    ERROR: "a bad argument or input, or an AWS error: the snapshots could not be listed (nothing tagged) or a "
    "tag was refused",
}

# Every AWS action `adopt` calls; the operator's policy allows them (drill.OPERATOR_ACTIONS includes them).
ADOPT_ACTIONS: tuple[str, ...] = (
    "lambda:GetFunctionConfiguration",  # --function: the deployment's identity, in the source region
    "rds:DescribeDBSnapshots",
    "rds:DescribeDBClusterSnapshots",
    "rds:AddTagsToResource",  # the deployment tag alone, on a LEGACY copy in the destination
)

_NOT_FOUND = frozenset({"DBSnapshotNotFound", "DBClusterSnapshotNotFoundFault"})
WOULD_ADOPT = "would adopt"
ADOPTED = "adopted"


@dataclass
class Legacy:
    """One LEGACY copy, and what became of it."""

    kind: str
    identifier: str
    arn: str
    source: str
    status: str
    data_time: str | None
    outcome: str = WOULD_ADOPT

    @property
    def remaining(self) -> bool:
        """Still LEGACY after this run: not adopted, and not found to be someone's since the listing."""
        return self.outcome == WOULD_ADOPT or self.outcome.startswith("failed")

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "identifier": self.identifier,
            "arn": self.arn,
            "source": self.source,
            "status": self.status,
            "data_time": self.data_time,
            "outcome": self.outcome,
        }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    deployment.add_identity_arguments(parser)
    parser.add_argument("--kind", choices=sorted(KINDS), help="only DB snapshots or only cluster snapshots")
    parser.add_argument(
        "--apply", action="store_true", help="tag each listed copy as this deployment's (without it: list only)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def find(rds: Any, owner: Owner, kinds: list[str]) -> tuple[list[Legacy], int]:
    """(the LEGACY copies of `owner` in the destination, how many copies are `owner`'s already)."""
    legacy: list[Legacy] = []
    ours = 0
    for kind in kinds:
        table = KINDS[kind]
        for snapshot in pages(rds, kind, SnapshotType="manual"):
            verdict = classify(snapshot, kind, owner)
            if verdict == OURS:
                ours += 1
            elif verdict == LEGACY:
                when = data_time(snapshot, kind)
                legacy.append(
                    Legacy(
                        kind=kind,
                        identifier=snapshot[table.identifier_key],
                        arn=snapshot[table.arn_key],
                        source=snapshot.get(table.source_identifier_key) or "?",
                        status=str(snapshot.get("Status")),
                        data_time=when.isoformat() if when else None,
                    )
                )
    legacy.sort(key=lambda c: (c.kind, c.source, c.data_time or "", c.identifier))
    return legacy, ours


def adopt(rds: Any, copy: Legacy, owner: Owner) -> str:
    """Tag one LEGACY copy as `owner`'s, after judging it again as it is now; what happened."""
    try:
        current = describe_one(rds, copy.kind, copy.identifier)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _NOT_FOUND:
            return "gone since the listing"
        return f"failed: cannot describe it again: {exc}"
    except BotoCoreError as exc:
        return f"failed: cannot describe it again: {exc}"
    if current is None:
        return "gone since the listing"
    verdict = classify(current, copy.kind, owner)
    if verdict != LEGACY:
        return "skipped: this deployment's already" if verdict == OURS else "skipped: no longer a 0.4.x copy"
    try:
        rds.add_tags_to_resource(ResourceName=copy.arn, Tags=[{"Key": TAG_DEPLOYMENT, "Value": owner.deployment}])
    except (ClientError, BotoCoreError) as exc:
        return f"failed: {exc}"
    return ADOPTED


def summary(copies: list[Legacy], ours: int, owner: Owner, destination_region: str, applied: bool) -> dict[str, Any]:
    return {
        "deployment": owner.deployment,
        "source_region": owner.source_region,
        "destination_region": destination_region,
        "applied": applied,
        "already_ours": ours,
        "legacy": [c.as_json() for c in copies],
        "adopted": sum(c.outcome == ADOPTED for c in copies),
        "remaining": sum(c.remaining for c in copies),
    }


def render(document: dict[str, Any], console: Console) -> None:
    rows = document["legacy"]
    if rows:
        table = Table(title=f"Copies made by 0.4.x from {document['source_region']} (no deployment tag)")
        for header in ("Kind", "Source", "Copy", "Data taken", "Status", "Outcome"):
            table.add_column(header, overflow="fold")
        for row in rows:
            table.add_row(
                row["kind"], row["source"], row["identifier"], row["data_time"] or "-", row["status"], row["outcome"]
            )
        console.print(table)
    line = (
        f"deployment {document['deployment']}: {len(rows)} copy(ies) made by 0.4.x, {document['adopted']} adopted, "
        f"{document['remaining']} remaining; {document['already_ours']} copy(ies) already its own"
    )
    console.print(line, markup=False, highlight=False)
    if document["remaining"] and not document["applied"]:
        console.print(
            "dry run: nothing was tagged; add --apply to tag them as this deployment's (only if they are: another "
            "0.4.x deployment copying from the same region into this one made copies that look the same)",
            markup=False,
            highlight=False,
        )


def run(args: argparse.Namespace, rds: Any = None, session: Any = None, out: Any = None, err: Any = None) -> int:
    """0: nothing left to adopt; 1: LEGACY copies remain (listed, not adopted); 2: bad input, or an AWS error
    (the destination unreadable: nothing tagged; or a tag refused)."""
    stdout = Console(file=out or sys.stdout, soft_wrap=True, width=200)
    stderr = Console(file=err or sys.stderr, soft_wrap=True)
    try:
        found = deployment.identity(args.function, args.source_region, args.region, args.deployment, session)
    except deployment.DeploymentError as exc:
        stderr.print(f"error: {exc}", markup=False, highlight=False)
        return ERROR
    owner = found.owner
    rds = rds or (session or boto3.session.Session()).client(
        "rds", region_name=found.destination_region, config=BOTO_CONFIG
    )
    try:
        copies, ours = find(rds, owner, [args.kind] if args.kind else list(KINDS))
    except (ClientError, BotoCoreError) as exc:
        stderr.print(
            f"error: cannot list the snapshots in {found.destination_region} (nothing tagged): {exc}",
            markup=False,
            highlight=False,
        )
        return ERROR
    if args.apply:
        for copy in copies:
            copy.outcome = adopt(rds, copy, owner)
    document = summary(copies, ours, owner, found.destination_region, args.apply)
    if args.json:
        print(json.dumps(document), file=stdout.file)
    else:
        render(document, stdout)
    failed = [copy for copy in copies if copy.outcome.startswith("failed")]
    for copy in failed:
        stderr.print(f"{copy.identifier}: {copy.outcome}", markup=False, highlight=False)
    if failed:
        return ERROR  # AWS refused a tag (or a look-up): an error wins over the copies left
    return FINDING if document["remaining"] else OK
