"""`rds-snapshot-copy`: the operations command. Every subcommand has --help.

rds-snapshot-copy package [--output build/lambda.zip] [--json]
rds-snapshot-copy demo [--repo DIR] [--mode single-account|backup-account]
rds-snapshot-copy terraformrc
rds-snapshot-copy emulator [--port N] [--write-override FILE]   (the local AWS emulator, for your own stack)
rds-snapshot-copy status | backfill      (the reconciler's view of each source, and its run from a workstation)
rds-snapshot-copy restore | drill        (the restore half: one database, or a timed rehearsal)
rds-snapshot-copy adopt                  (the upgrade from 0.4: make its copies this deployment's)

Every subcommand exits by one scheme (exit_codes): 0 fine, 1 a finding, 2 a usage or AWS error, 130
interrupted; the top-level --help has the scheme, each subcommand's --help what its codes mean there.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

from rds_snapshot_copy import adopt, backfill, drill, exit_codes, restore, status, terraform_cli
from rds_snapshot_copy import package as packaging
from rds_snapshot_copy.demo import emulator_command
from rds_snapshot_copy.exit_codes import ERROR, FINDING, INTERRUPTED, OK

PACKAGE_EXIT_CODES = {
    OK: "built; its path and hash printed",
    ERROR: "a bad argument, or the package could not be built (no files in --source, --output not writable)",
}
DEMO_EXIT_CODES = {
    OK: "the demo worked end to end",
    FINDING: "a step of the demo failed (its output says which); what it deployed is destroyed",
    ERROR: "a bad argument, or the demo's requirements are missing (the [demo] extra)",
    INTERRUPTED: "interrupted (Ctrl-C or SIGTERM): what it deployed is destroyed",
}
TERRAFORMRC_EXIT_CODES = {
    OK: "written; its path printed",
    ERROR: "a bad argument, or the configuration could not be written",
}
# An epilog line "  <code> <text>": wrapped under its text, not under the code.
_CODE_LINE = re.compile(r"(\s+\S+\s+)(.*)")


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, but an epilog's lines stay lines: one per exit status, each wrapped on its own."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        lines = []
        for line in text.splitlines():
            found = _CODE_LINE.fullmatch(line)
            lead = indent + found.group(1) if found else indent
            body = " ".join((found.group(2) if found else line).split())
            lines.append(
                textwrap.fill(
                    body, width, initial_indent=lead, subsequent_indent=" " * len(lead), break_on_hyphens=False
                )
            )
        return "\n".join(lines)


def _package(args: argparse.Namespace) -> int:
    try:
        built = packaging.build_package(args.output, args.source)
    except OSError as exc:
        print(f"error: cannot build the package: {exc}", file=sys.stderr)
        return ERROR
    if args.json:
        print(json.dumps({"lambda_package_path": str(built.path), "lambda_package_hash": built.base64_sha256}))
    else:
        # Two lines to paste into terraform.tfvars.
        print(f'lambda_package_path = "{built.path}"')
        print(f'lambda_package_hash = "{built.base64_sha256}"')
    return OK


def _demo(args: argparse.Namespace) -> int:
    try:
        from rds_snapshot_copy.demo import run
    except ImportError as exc:
        print(
            f"the demo needs the emulator and python-terraform ({exc.name} is missing): "
            "pip install 'terraform-aws-rds-snapshot-copy[demo]'",
            file=sys.stderr,
        )
        return ERROR
    return run.main(args.repo, args.mode)  # 0, 1 (a step failed) or 130, as DEMO_EXIT_CODES says


def _terraformrc(args: argparse.Namespace) -> int:
    try:
        path = terraform_cli.cli_config_file()
    except OSError as exc:
        print(f"error: cannot write the Terraform CLI configuration: {exc}", file=sys.stderr)
        return ERROR
    print(path)
    return OK


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="rds-snapshot-copy",
        description="Operate the RDS/Aurora cross-region snapshot copy: build its function package, run the demo, "
        "see each source's recovery point, backfill missed snapshots, restore a copy, rehearse a failover, adopt "
        "the copies 0.4.x made.",
        epilog=exit_codes.epilog(),
        formatter_class=HelpFormatter,
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        name: str, run: Callable[[argparse.Namespace], int], help_text: str, codes: Mapping[int, str]
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=exit_codes.epilog(codes),
            formatter_class=HelpFormatter,
        )
        sub.set_defaults(run=run)
        return sub

    package = command(
        "package",
        _package,
        "Build the deterministic function package (the zip the module's lambda_package_path names) and print "
        "its path and base64 SHA-256 (lambda_package_hash).",
        PACKAGE_EXIT_CODES,
    )
    package.add_argument("--output", type=Path, default=Path("build/lambda.zip"), help="zip to write (%(default)s)")
    package.add_argument(
        "--source",
        type=Path,
        default=None,
        help="package this directory instead of the installed functions (e.g. a checkout's lambda/)",
    )
    package.add_argument("--json", action="store_true", help="print one JSON object instead of tfvars lines")

    demo = command(
        "demo",
        _demo,
        "Deploy examples/complete into a local AWS emulator (moto_server), copy snapshots end to end, print "
        "the copies, destroy. No AWS account. Needs terraform and the [demo] extra.",
        DEMO_EXIT_CODES,
    )
    demo.add_argument("--repo", type=Path, default=None, help="the repository checkout (default: found from here)")
    demo.add_argument(
        "--mode",
        choices=("single-account", "backup-account"),
        default="single-account",
        help="single-account: examples/complete (%(default)s); backup-account: examples/backup-account, a source "
        "account and a vault account on one emulator",
    )

    command(
        "terraformrc",
        _terraformrc,
        "Write a Terraform CLI configuration that installs providers from a local mirror where one exists "
        "(and from the registry otherwise) and print its path: "
        "export TF_CLI_CONFIG_FILE=$(rds-snapshot-copy terraformrc); hashicorp/archive from the offline stand-in "
        "where neither offers it",
        TERRAFORMRC_EXIT_CODES,
    )
    emulator_command.add_arguments(
        command("emulator", emulator_command.run, emulator_command.HELP, emulator_command.EXIT_CODES)
    )
    status.add_arguments(command("status", status.run, status.HELP, status.EXIT_CODES))
    backfill.add_arguments(command("backfill", backfill.run, backfill.HELP, backfill.EXIT_CODES))
    restore.add_arguments(command("restore", restore.run, restore.HELP, restore.EXIT_CODES))
    drill.add_arguments(command("drill", drill.run, drill.HELP, drill.EXIT_CODES))
    adopt.add_arguments(command("adopt", adopt.run, adopt.HELP, adopt.EXIT_CODES))
    return top


def main(argv: list[str] | None = None) -> int:
    """The subcommand's exit status (exit_codes). A bad argument ends in argparse's usage message and
    SystemExit(2), as argparse does; Ctrl-C in 130, without a traceback."""
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
