"""The exit status of every `rds-snapshot-copy` subcommand: one scheme, so that cron, CI and scripts read them
all alike.

- 0 (OK): done, and nothing it reports needs attention.
- 1 (FINDING): the command did its work and what it found needs attention: a source past the RPO, a drill
  that failed, 0.4.x copies left unadopted, a restore not available within its timeout.
- 2 (ERROR): a usage error or an AWS error: a bad argument (argparse's usage message) or bad input
  (refused, nothing changed), the deployment could not be read, an AWS call failed. An error wins over a
  finding: what was found may be incomplete.
- 130 (INTERRUPTED): Ctrl-C or SIGTERM, as a shell reports an interrupted command.

A dry run's plan is not a finding: `restore` without --apply and `backfill --dry-run` exit 0 whatever they
would do. `adopt`'s 1 is about the copies (0.4.x copies are never a recovery point until adopted), so it is
the same with or without --apply. Each command's help says what its 1 and 2 mean (`epilog`).
"""

from __future__ import annotations

from collections.abc import Mapping

OK = 0
FINDING = 1
ERROR = 2
INTERRUPTED = 130

SCHEME: dict[int, str] = {
    OK: "done; nothing needs attention",
    FINDING: "a finding: the command ran and what it found needs attention (status: a source past the RPO; "
    "drill: a restore, check or clean-up failed; adopt: 0.4.x copies left to adopt; restore: not available "
    "within --timeout-seconds; demo: a step failed)",
    ERROR: "usage or AWS error: a bad argument or input (nothing changed), the deployment could not be read, "
    "or an AWS call failed",
    INTERRUPTED: "interrupted (Ctrl-C or SIGTERM)",
}
DRY_RUNS = (
    "A dry run's plan is not a finding: restore without --apply and backfill --dry-run exit 0 whatever they would do."
)


def epilog(meanings: Mapping[int, str] | None = None) -> str:
    """The 'exit status' section of a --help. Without `meanings`: the scheme (the top-level help). With them:
    what each code means for one command, only the codes it uses (and interrupted, which any may be)."""
    if meanings is None:
        lines = ["exit status (the same for every command; each command's --help says what it means there):"]
        lines += [f"  {code:<4} {text}" for code, text in SCHEME.items()]
        return "\n".join([*lines, DRY_RUNS])
    lines = ["exit status (see rds-snapshot-copy --help):"]
    for code, text in SCHEME.items():
        if code in meanings or code == INTERRUPTED:
            lines.append(f"  {code:<4} {meanings.get(code, text)}")
    return "\n".join(lines)


def worst(*codes: int) -> int:
    """The code to exit with when several apply: interrupted, then an error, then a finding."""
    for code in (INTERRUPTED, ERROR, FINDING):
        if code in codes:
            return code
    return OK
