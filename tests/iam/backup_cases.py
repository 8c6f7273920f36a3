"""The must-deny list of backup-account mode (issue 17, "what must be impossible") and the allowed counterparts
that show each denial is for the reason named, not because everything is denied.

Attackers of the vault from a source account, strongest first: the account's administrator (an identity
policy allowing everything), the source side's role as deployed, that role after the administrator rewrote
its policy to allow everything (an administrator can always do that: only the vault's policies stand between
it and the copies), and the vault's reader role, which that role may assume.
"""

from __future__ import annotations

from typing import Any

from snapshot_copy.tagging import TAG_DEPLOYMENT, TAG_SOURCE_ACCOUNT, TAG_SOURCE_REGION, TAG_SOURCE_SNAPSHOT_ARN
from tests.iam.backup_sim import ALLOW_ALL, Ask, Caller, Sides, caller_of

STRANGER_ACCOUNT = "999988887777"  # an account that is neither the vault nor a listed source
THIRD_REGION = "us-east-2"


def resource_tags(**tags: str | None) -> dict[str, Any]:
    return {f"aws:ResourceTag/{k}": v for k, v in tags.items() if v is not None}


def request_tags(**tags: str) -> dict[str, Any]:
    return {"aws:TagKeys": sorted(tags), **{f"aws:RequestTag/{k}": v for k, v in tags.items()}}


class Names:
    """The ARNs and tags the cases use, in the deployed accounts and regions."""

    def __init__(self, p: Sides) -> None:
        self.p = p
        v, s, src, dst = p.vault_account, p.source_account, p.src, p.dst
        self.source_snapshot = f"arn:aws:rds:{src}:{s}:snapshot:orders-db-manual-1"
        self.source_cluster_snapshot = f"arn:aws:rds:{src}:{s}:cluster-snapshot:ledger-aurora-manual-1"
        self.share_copy = f"arn:aws:rds:{src}:{s}:snapshot:share-rds-orders-db-2026-12-01-00-00-0123abcd"
        self.share_cluster_copy = f"arn:aws:rds:{src}:{s}:cluster-snapshot:share-rds-ledger-aurora-2026-12-01-0123abcd"
        self.vault_copy = f"arn:aws:rds:{dst}:{v}:snapshot:orders-db-manual-1-0123abcd"
        self.vault_cluster_copy = f"arn:aws:rds:{dst}:{v}:cluster-snapshot:ledger-aurora-manual-1-0123abcd"
        self.stranger_snapshot = f"arn:aws:rds:{src}:{STRANGER_ACCOUNT}:snapshot:theirs-1"
        self.stranger_cluster_snapshot = f"arn:aws:rds:{src}:{STRANGER_ACCOUNT}:cluster-snapshot:theirs-1"

    def vault_copy_tags(self, **overrides: str | None) -> dict[str, Any]:
        """A vault copy's tags as the conditions read them (aws:ResourceTag/...)."""
        tags: dict[str, str | None] = {
            TAG_DEPLOYMENT: self.p.vault_deployment,
            TAG_SOURCE_REGION: self.p.src,
            TAG_SOURCE_SNAPSHOT_ARN: self.source_snapshot,
            TAG_SOURCE_ACCOUNT: self.p.source_account,
        }
        tags.update(overrides)
        return resource_tags(**tags)

    def share_copy_tags(self, **overrides: str | None) -> dict[str, Any]:
        tags: dict[str, str | None] = {
            TAG_DEPLOYMENT: self.p.share_deployment,
            TAG_SOURCE_REGION: self.p.src,
            TAG_SOURCE_SNAPSHOT_ARN: self.source_snapshot,
            TAG_SOURCE_ACCOUNT: self.p.source_account,
        }
        tags.update(overrides)
        return resource_tags(**tags)

    def vault_copy_request_tags(self) -> dict[str, Any]:
        return request_tags(
            **{
                TAG_DEPLOYMENT: self.p.vault_deployment,
                TAG_SOURCE_REGION: self.p.src,
                TAG_SOURCE_SNAPSHOT_ARN: self.share_copy,
                TAG_SOURCE_ACCOUNT: self.p.source_account,
            }
        )

    def share_copy_request_tags(self) -> dict[str, Any]:
        return request_tags(
            **{
                TAG_DEPLOYMENT: self.p.share_deployment,
                TAG_SOURCE_REGION: self.p.src,
                TAG_SOURCE_SNAPSHOT_ARN: self.source_snapshot,
                TAG_SOURCE_ACCOUNT: self.p.source_account,
            }
        )


def via_rds(region: str, account: str) -> dict[str, Any]:
    return {
        "kms:ViaService": f"rds.{region}.amazonaws.com",
        "kms:CallerAccount": account,
        "kms:GrantIsForAWSResource": "true",
    }


def source_attackers(p: Sides) -> dict[str, Caller]:
    s = p.source_account
    share = caller_of(p, "share")
    return {
        "the source account's administrator": Caller(f"arn:aws:iam::{s}:role/source-admin", [ALLOW_ALL]),
        "the source side's role": share,
        "the source side's role with an allow-everything policy": Caller(share.arn, [ALLOW_ALL]),
        "the vault's reader role (which the source side may assume)": caller_of(p, "reader"),
    }


def vault_copy_attacks(p: Sides, who: str, caller: Caller) -> list[Ask]:
    """Everything no source principal may do to a vault copy or the vault key."""
    n, dst, v = Names(p), p.dst, p.vault_account
    copy, cluster = n.vault_copy, n.vault_cluster_copy
    tags = n.vault_copy_tags()
    asks = [
        Ask(f"{who}: delete a vault copy", caller, "rds:DeleteDBSnapshot", copy, dst, tags),
        Ask(f"{who}: delete a vault cluster copy", caller, "rds:DeleteDBClusterSnapshot", cluster, dst, tags),
        Ask(f"{who}: share a vault copy", caller, "rds:ModifyDBSnapshotAttribute", copy, dst, tags),
        Ask(f"{who}: share a vault cluster copy", caller, "rds:ModifyDBClusterSnapshotAttribute", cluster, dst, tags),
        Ask(f"{who}: modify a vault copy", caller, "rds:ModifyDBSnapshot", copy, dst, tags),
        Ask(f"{who}: restore a vault copy", caller, "rds:RestoreDBInstanceFromDBSnapshot", copy, dst, tags),
        Ask(f"{who}: restore a vault cluster copy", caller, "rds:RestoreDBClusterFromSnapshot", cluster, dst, tags),
        Ask(f"{who}: copy a vault copy out", caller, "rds:CopyDBSnapshot", copy, dst, tags),
        Ask(
            f"{who}: retag a vault copy",
            caller,
            "rds:AddTagsToResource",
            copy,
            dst,
            {**tags, **request_tags(**{TAG_DEPLOYMENT: "expire-me"})},
        ),
        Ask(f"{who}: untag a vault copy", caller, "rds:RemoveTagsFromResource", copy, dst, tags),
    ]
    key = p.vault_key_arn
    for action, context in (
        ("kms:Decrypt", {}),
        ("kms:CreateGrant", via_rds(dst, caller.account)),
        ("kms:DisableKey", {}),
        ("kms:ScheduleKeyDeletion", {}),
        ("kms:PutKeyPolicy", {}),
        ("kms:ReEncryptFrom", {}),
        ("kms:DescribeKey", {}),
    ):
        asks.append(Ask(f"{who}: {action} on the vault key", caller, action, key, dst, context))
    del v
    return asks


def must_deny(p: Sides) -> list[Ask]:
    n, src, dst, s, v = Names(p), p.src, p.dst, p.source_account, p.vault_account
    share = caller_of(p, "share")
    copier = caller_of(p, "copier")
    admin = source_attackers(p)["the source account's administrator"]
    app_role = Caller(f"arn:aws:iam::{s}:role/application", [ALLOW_ALL])
    asks: list[Ask] = []
    for who, caller in source_attackers(p).items():
        asks += vault_copy_attacks(p, who, caller)
    # Becoming a vault role: only the source side's own role may assume the reader; nobody the others.
    for role in ("copier", "pruner", "reconciler"):
        if role in p.vault_roles:
            arn = p.vault_roles[role].arn
            for who, caller in (("the source administrator", admin), ("the source side's role", share)):
                asks.append(Ask(f"{who} assumes the vault's {role} role", caller, "sts:AssumeRole", arn, src))
    reader = p.vault_roles["reader"].arn
    stranger_share = Caller(f"arn:aws:iam::{STRANGER_ACCOUNT}:role/{p.share_role_name}", [ALLOW_ALL])
    other_region_share = Caller(f"arn:aws:iam::{s}:role/{p.share_deployment}-{THIRD_REGION}", [ALLOW_ALL])
    for who, caller in (
        ("the source administrator", admin),
        ("another role of the source account", app_role),
        ("a role named like the source side's in an unlisted account", stranger_share),
    ):
        asks.append(Ask(f"{who} assumes the vault's reader role", caller, "sts:AssumeRole", reader, src))
    # The vault's queue: messages from the source side's roles of the listed accounts only.
    queue, dlq = p.vault_queue_arn, p.vault_dead_letter_queue_arn
    for who, caller in (
        ("the source administrator", admin),
        ("another role of the source account", app_role),
        ("a role named like the source side's in an unlisted account", stranger_share),
        ("the source side's role of another region", other_region_share),
    ):
        asks.append(Ask(f"{who} sends to the vault queue", caller, "sqs:SendMessage", queue, src))
    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:PurgeQueue", "sqs:SetQueueAttributes"):
        asks.append(Ask(f"the source side's role: {action} on the vault queue", share, action, queue, src))
    asks.append(
        Ask("the source side's role sends to the vault's dead-letter queue", share, "sqs:SendMessage", dlq, src)
    )
    # The reader reads the vault copies in the destination region, nothing else.
    reader_role = caller_of(p, "reader")
    asks += [
        Ask("the reader lists snapshots in the source region", reader_role, "rds:DescribeDBSnapshots", "*", src),
        Ask(
            "the reader lists snapshots in a third region",
            reader_role,
            "rds:DescribeDBClusterSnapshots",
            "*",
            THIRD_REGION,
        ),
        Ask("the reader sends to the vault queue", reader_role, "sqs:SendMessage", queue, src),
    ]
    # The vault's copier: listed accounts only, into its region only, with its key only; deletes nothing but
    # its own broken copies.
    third_target = f"arn:aws:rds:{THIRD_REGION}:{v}:snapshot:orders-db-manual-1-0123abcd"
    ours = n.vault_copy_request_tags()
    other_key = f"arn:aws:kms:{dst}:{v}:key/00000000-0000-4000-8000-000000000000"
    asks += [
        Ask(
            "copier copies an unlisted account's snapshot",
            copier,
            "rds:CopyDBSnapshot",
            n.stranger_snapshot,
            dst,
            ours,
            shared_to=v,
        ),
        Ask(
            "copier copies an unlisted account's cluster snapshot",
            copier,
            "rds:CopyDBClusterSnapshot",
            n.stranger_cluster_snapshot,
            dst,
            ours,
            shared_to=v,
        ),
        Ask("copier copies into a third region", copier, "rds:CopyDBSnapshot", third_target, THIRD_REGION, ours),
        Ask(
            "copier copies a cluster snapshot into a third region",
            copier,
            "rds:CopyDBClusterSnapshot",
            third_target.replace(":snapshot:", ":cluster-snapshot:"),
            THIRD_REGION,
            ours,
        ),
        Ask("copier encrypts with another key", copier, "kms:CreateGrant", other_key, dst, via_rds(dst, v)),
        Ask(
            "copier uses the vault key through RDS of the source region",
            copier,
            "kms:CreateGrant",
            p.vault_key_arn,
            dst,
            via_rds(src, v),
        ),
        Ask(
            "copier deletes a shared source snapshot",
            copier,
            "rds:DeleteDBSnapshot",
            n.share_copy,
            src,
            n.share_copy_tags(),
            shared_to=v,
        ),
        Ask("copier deletes an untagged vault snapshot", copier, "rds:DeleteDBSnapshot", n.vault_copy, dst),
        Ask(
            "copier deletes another deployment's vault copy",
            copier,
            "rds:DeleteDBSnapshot",
            n.vault_copy,
            dst,
            n.vault_copy_tags(**{TAG_DEPLOYMENT: "someone-elses-copies"}),
        ),
        Ask("copier shares a vault copy", copier, "rds:ModifyDBSnapshotAttribute", n.vault_copy, dst),
        Ask(
            "copier changes a source snapshot's sharing",
            copier,
            "rds:ModifyDBSnapshotAttribute",
            n.source_snapshot,
            src,
        ),
        Ask(
            "copier decrypts with the share key directly",
            copier,
            "kms:Decrypt",
            p.share_key_arn,
            src,
            {"kms:CallerAccount": v},
        ),
    ]
    # The share key: only the vault copiers, only through RDS.
    for role in ("reader", "pruner", "reconciler"):
        if role in p.vault_roles:
            asks.append(
                Ask(
                    f"the vault's {role} uses the share key",
                    caller_of(p, role),
                    "kms:CreateGrant",
                    p.share_key_arn,
                    src,
                    via_rds(src, v),
                )
            )
    stranger = Caller(f"arn:aws:iam::{STRANGER_ACCOUNT}:role/admin", [ALLOW_ALL])
    asks.append(
        Ask(
            "an unlisted account uses the share key",
            stranger,
            "kms:CreateGrant",
            p.share_key_arn,
            src,
            via_rds(src, STRANGER_ACCOUNT),
        )
    )
    # The source side: deletes only its own share copies; copies only into share copies in its region.
    asks += [
        Ask("source side deletes a customer snapshot", share, "rds:DeleteDBSnapshot", n.source_snapshot, src),
        Ask(
            "source side deletes a customer cluster snapshot",
            share,
            "rds:DeleteDBClusterSnapshot",
            n.source_cluster_snapshot,
            src,
        ),
        Ask("source side deletes an untagged share- snapshot", share, "rds:DeleteDBSnapshot", n.share_copy, src),
        Ask(
            "source side deletes another deployment's share copy",
            share,
            "rds:DeleteDBSnapshot",
            n.share_copy,
            src,
            n.share_copy_tags(**{TAG_DEPLOYMENT: "someone-elses-share"}),
        ),
        Ask(
            "source side deletes a customer snapshot tagged as its share copy",
            share,
            "rds:DeleteDBSnapshot",
            n.source_snapshot,
            src,
            n.share_copy_tags(),
        ),
        Ask(
            "source side deletes a share copy in another region",
            share,
            "rds:DeleteDBSnapshot",
            n.share_copy.replace(f":{src}:", f":{THIRD_REGION}:"),
            THIRD_REGION,
            n.share_copy_tags(),
        ),
        Ask(
            "source side deletes a database", share, "rds:DeleteDBInstance", f"arn:aws:rds:{src}:{s}:db:orders-db", src
        ),
        Ask(
            "source side deletes a cluster",
            share,
            "rds:DeleteDBCluster",
            f"arn:aws:rds:{src}:{s}:cluster:ledger-aurora",
            src,
        ),
        Ask("source side modifies a customer snapshot", share, "rds:ModifyDBSnapshot", n.source_snapshot, src),
        Ask(
            "source side copies into another region",
            share,
            "rds:CopyDBSnapshot",
            n.share_copy.replace(f":{src}:", f":{THIRD_REGION}:"),
            THIRD_REGION,
            n.share_copy_request_tags(),
        ),
        Ask(
            "source side shares a snapshot of another region",
            share,
            "rds:ModifyDBSnapshotAttribute",
            n.source_snapshot.replace(f":{src}:", f":{THIRD_REGION}:"),
            THIRD_REGION,
        ),
        Ask(
            "source side decrypts with the share key directly",
            share,
            "kms:Decrypt",
            p.share_key_arn,
            src,
            {"kms:CallerAccount": s},
        ),
        Ask("source side schedules the share key's deletion", share, "kms:ScheduleKeyDeletion", p.share_key_arn, src),
    ]
    return asks


def allowed_counterparts(p: Sides) -> list[Ask]:
    """The same requests made right: each must pass, or the must-deny list proves nothing."""
    n, src, dst, v = Names(p), p.src, p.dst, p.vault_account
    share, copier = caller_of(p, "share"), caller_of(p, "copier")
    ours = n.vault_copy_request_tags()
    return [
        Ask("the source side's role sends to the vault queue", share, "sqs:SendMessage", p.vault_queue_arn, src),
        Ask(
            "the source side's role assumes the vault's reader role",
            share,
            "sts:AssumeRole",
            p.vault_roles["reader"].arn,
            src,
        ),
        Ask("the reader lists the vault copies", caller_of(p, "reader"), "rds:DescribeDBSnapshots", "*", dst),
        Ask(
            "the reader lists the vault cluster copies",
            caller_of(p, "reader"),
            "rds:DescribeDBClusterSnapshots",
            "*",
            dst,
        ),
        Ask(
            "copier copies a listed account's shared snapshot",
            copier,
            "rds:CopyDBSnapshot",
            n.share_copy,
            dst,
            ours,
            shared_to=v,
        ),
        Ask(
            "copier copies a listed account's shared cluster snapshot",
            copier,
            "rds:CopyDBClusterSnapshot",
            n.share_cluster_copy,
            dst,
            ours,
            shared_to=v,
        ),
        Ask("copier names its target in its region", copier, "rds:CopyDBSnapshot", n.vault_copy, dst, ours),
        Ask("copier encrypts with the vault key", copier, "kms:CreateGrant", p.vault_key_arn, dst, via_rds(dst, v)),
        Ask(
            "copier decrypts the share copy through RDS",
            copier,
            "kms:CreateGrant",
            p.share_key_arn,
            src,
            via_rds(src, v),
        ),
        Ask(
            "copier deletes a broken copy of its own",
            copier,
            "rds:DeleteDBSnapshot",
            n.vault_copy,
            dst,
            n.vault_copy_tags(),
        ),
        Ask(
            "source side deletes its own share copy",
            share,
            "rds:DeleteDBSnapshot",
            n.share_copy,
            src,
            n.share_copy_tags(),
        ),
        Ask(
            "source side deletes its own cluster share copy",
            share,
            "rds:DeleteDBClusterSnapshot",
            n.share_cluster_copy,
            src,
            n.share_copy_tags(),
        ),
        Ask("source side shares a snapshot", share, "rds:ModifyDBSnapshotAttribute", n.source_snapshot, src),
        Ask(
            "source side makes a share copy",
            share,
            "rds:CopyDBSnapshot",
            n.share_copy,
            src,
            n.share_copy_request_tags(),
        ),
        Ask(
            "source side encrypts a share copy with the share key",
            share,
            "kms:CreateGrant",
            p.share_key_arn,
            src,
            via_rds(src, p.source_account),
        ),
    ]
