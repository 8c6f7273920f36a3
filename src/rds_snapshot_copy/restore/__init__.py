"""`rds-snapshot-copy restore`: restore the newest available copy of a source database in the destination.

Written for 3 a.m.: the source region may be down, so every call there is best effort (one try, short
timeouts) and the command works without it; every input that is still missing is named at once, with the
flag that gives it; and nothing is changed until every check has passed and `--apply` is given. Without
`--apply` it prints the API calls it would make and the equivalent `aws rds ...` commands.

DB instances: RestoreDBInstanceFromDBSnapshot. Aurora: RestoreDBClusterFromSnapshot, then CreateDBInstance
(the writer) in the restored cluster, requested at once (RDS accepts it while the cluster is creating).
The copy to restore is the newest *available* copy that is this deployment's (snapshot_copy.ownership:
its deployment tag, source region tag and identifier, never a tag alone: an operator's CopyTags copy or
another deployment's copy is never restored as ours), newest by the time its data was taken
(snapshot_time.data_time, never when it was copied), which is also the recovery point it reports: both are
snapshot_copy.recovery's, as for the reconciler and `status`. The
deployment's identity comes from `--function` or from the flags (deployment.identity). The drill (drill/)
reuses the finding, the planning, the checks and the waiting here.

The modules, in the order a restore uses them:
- aws: the actions it calls, its clients, its errors (RefusedError: bad input, exit 2)
- copies: which copy (the newest of this deployment's, per source account and database, or one named)
- source: the source database's settings, read from the source region, best effort (not at all when the
  source is in another account: a vault, backup-account mode)
- plan, planner, checks: the plan (its calls, names and tags), the planner that resolves every setting, and
  the checks made before anything changes
- job: running a plan and waiting for it (Created, Job, wait)
- command: argparse, the run, the printing, the exit status (exit_codes)

Every name is importable from here, as it was from the single module this package replaced.
"""

from rds_snapshot_copy.restore.aws import (
    DESTINATION_CONFIG,
    RESTORE_ACTIONS,
    SOURCE_REGION_CONFIG,
    AwsFailure,
    Clients,
    RefusedError,
    caller_account,
    error_code,
    make_clients,
)
from rds_snapshot_copy.restore.checks import (
    USABLE_KEY_STATE,
    check_class_offered,
    check_keys,
    check_target_free,
    cluster_exists,
    instance_exists,
)
from rds_snapshot_copy.restore.command import (
    EXIT_CODES,
    HELP,
    MAX_POLL_SECONDS,
    MAX_PORT,
    MAX_TIMEOUT_SECONDS,
    add_arguments,
    add_common_arguments,
    aws_failed,
    overrides_from,
    parse_tags,
    plan_restore,
    print_plan,
    refused,
    resolve,
    run,
)
from rds_snapshot_copy.restore.copies import (
    Located,
    copies_of,
    locate,
    locate_snapshot,
    located,
    newest_by_source,
)
from rds_snapshot_copy.restore.job import (
    ERROR_ADVICE,
    FAILED_STATUSES,
    USABLE_STATUSES,
    Created,
    Job,
    carries_tags,
    explain,
    wait,
)
from rds_snapshot_copy.restore.plan import (
    MAX_DATABASE_IDENTIFIER_LENGTH,
    RESTORE_TAG_KEYS,
    RESTORED_BY,
    TAG_RECOVERY_POINT,
    TAG_RESTORED_BY,
    TAG_RESTORED_FROM_ACCOUNT,
    TAG_RESTORED_FROM_REGION,
    TAG_RESTORED_FROM_SNAPSHOT,
    TAG_RESTORED_FROM_SOURCE,
    Overrides,
    Plan,
    Step,
    cli_command,
    restore_tags,
    valid_database_identifier,
    writer_name,
)
from rds_snapshot_copy.restore.planner import build_plan
from rds_snapshot_copy.restore.source import (
    SourceRegion,
    SourceSettings,
    in_another_account,
    settings_for,
    source_elsewhere,
)

__all__ = [
    "DESTINATION_CONFIG",
    "ERROR_ADVICE",
    "EXIT_CODES",
    "FAILED_STATUSES",
    "HELP",
    "MAX_DATABASE_IDENTIFIER_LENGTH",
    "MAX_POLL_SECONDS",
    "MAX_PORT",
    "MAX_TIMEOUT_SECONDS",
    "RESTORED_BY",
    "RESTORE_ACTIONS",
    "RESTORE_TAG_KEYS",
    "SOURCE_REGION_CONFIG",
    "TAG_RECOVERY_POINT",
    "TAG_RESTORED_BY",
    "TAG_RESTORED_FROM_ACCOUNT",
    "TAG_RESTORED_FROM_REGION",
    "TAG_RESTORED_FROM_SNAPSHOT",
    "TAG_RESTORED_FROM_SOURCE",
    "USABLE_KEY_STATE",
    "USABLE_STATUSES",
    "AwsFailure",
    "Clients",
    "Created",
    "Job",
    "Located",
    "Overrides",
    "Plan",
    "RefusedError",
    "SourceRegion",
    "SourceSettings",
    "Step",
    "add_arguments",
    "add_common_arguments",
    "aws_failed",
    "build_plan",
    "caller_account",
    "carries_tags",
    "check_class_offered",
    "check_keys",
    "check_target_free",
    "cli_command",
    "cluster_exists",
    "copies_of",
    "error_code",
    "explain",
    "in_another_account",
    "instance_exists",
    "locate",
    "locate_snapshot",
    "located",
    "make_clients",
    "newest_by_source",
    "overrides_from",
    "parse_tags",
    "plan_restore",
    "print_plan",
    "refused",
    "resolve",
    "restore_tags",
    "run",
    "settings_for",
    "source_elsewhere",
    "valid_database_identifier",
    "wait",
    "writer_name",
]
