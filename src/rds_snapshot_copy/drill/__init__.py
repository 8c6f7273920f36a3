"""`rds-snapshot-copy drill`: restore the newest copy of each source into temporary names, measure, clean up.

For every source: the recovery point age at drill time (the RPO a real restore would have had: how old the
data of the newest available copy of this deployment is, snapshot_time.data_time), the RTO (from the restore
request to available), checks of the restored database (engine, encryption with the copy's destination key,
provenance tags) and what its instance-hours cost. All restores run at once, so a drill of ten sources takes
about as long as the slowest.

In a vault (backup-account mode) a source is an (account, database) pair: --all drills one per pair, a name
whose copies come from several accounts needs --source-account, and the report names each source's account.

Names are drill-<source>-<yyyymmddhhmm>-<random>, and everything a drill creates carries its own random
token (TAG_DRILL = <time>-<token>): two drills started in the same second never pick one name, and neither
takes the other's database for its own. Everything the drill creates is registered before the call that
creates it (and unregistered when AWS answers that call with an error, AlreadyExists included: this call made
nothing) and deleted in a `finally`, each looked up before its delete and deleted only when it carries this
drill's token: Ctrl-C, SIGTERM or a failure halfway still clean up (`--keep` keeps the databases only when
the drill completes), and nothing of another drill's is ever deleted. Finding the copies, planning, checks
and waiting are restore's (restore/).

The modules: names (the names and the token), checks (the checks of a restored database), cleanup
(delete_created and what it says), report (the results, the table, the JSON, the metrics), command (which
sources, their plans, the run, argparse, the exit status). Every name is importable from here, as it was from
the single module this package replaced.
"""

from rds_snapshot_copy.drill.checks import Check, check
from rds_snapshot_copy.drill.cleanup import (
    ALREADY_GONE,
    CLEANUP_TIMEOUT_SECONDS,
    DELETED,
    LEFT_BEHIND,
    NEVER_CREATED,
    NOT_THIS_DRILLS,
    cleanup_text,
    delete_created,
    sigterm_interrupts,
)
from rds_snapshot_copy.drill.command import (
    DRILL_ACTIONS,
    EXIT_CODES,
    HELP,
    OPERATOR_ACTIONS,
    add_arguments,
    drill_sources,
    plan_drill,
    report_path,
    run,
    run_drill,
)
from rds_snapshot_copy.drill.names import (
    ACCOUNT_DIGITS,
    DRILL_PREFIX,
    NAME_SUFFIX_DIGITS,
    TAG_DRILL,
    TOKEN_DIGITS,
    drill_name,
    drill_token,
    random_hex,
)
from rds_snapshot_copy.drill.report import (
    DRILL_SOURCE_ACCOUNT_DIMENSION,
    USABLE_NOTE_SECONDS,
    DrillReport,
    SourceResult,
    cost_text,
    duration,
    print_report,
    publish,
    rto_text,
)
from snapshot_copy.config import DEFAULT_METRIC_NAMESPACE

__all__ = [
    "ACCOUNT_DIGITS",
    "ALREADY_GONE",
    "CLEANUP_TIMEOUT_SECONDS",
    "DEFAULT_METRIC_NAMESPACE",
    "DELETED",
    "DRILL_ACTIONS",
    "DRILL_PREFIX",
    "DRILL_SOURCE_ACCOUNT_DIMENSION",
    "EXIT_CODES",
    "HELP",
    "LEFT_BEHIND",
    "NAME_SUFFIX_DIGITS",
    "NEVER_CREATED",
    "NOT_THIS_DRILLS",
    "OPERATOR_ACTIONS",
    "TAG_DRILL",
    "TOKEN_DIGITS",
    "USABLE_NOTE_SECONDS",
    "Check",
    "DrillReport",
    "SourceResult",
    "add_arguments",
    "check",
    "cleanup_text",
    "cost_text",
    "delete_created",
    "drill_name",
    "drill_sources",
    "drill_token",
    "duration",
    "plan_drill",
    "print_report",
    "publish",
    "random_hex",
    "report_path",
    "rto_text",
    "run",
    "run_drill",
    "sigterm_interrupts",
]
