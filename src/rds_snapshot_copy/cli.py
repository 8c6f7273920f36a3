"""`rds-snapshot-copy`: the operations command. Every subcommand has --help.

rds-snapshot-copy package [--output build/lambda.zip] [--json]
rds-snapshot-copy demo [--repo DIR]
rds-snapshot-copy terraformrc
rds-snapshot-copy status | backfill      (the reconciler's view of each source, and its run from a workstation)
rds-snapshot-copy restore | drill        (the restore half: one database, or a timed rehearsal)
rds-snapshot-copy adopt                  (the upgrade from 0.4: make its copies this deployment's)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from rds_snapshot_copy import adopt, backfill, drill, restore, status, terraform_cli
from rds_snapshot_copy import package as packaging


def _package(args: argparse.Namespace) -> int:
    built = packaging.build_package(args.output, args.source)
    if args.json:
        print(json.dumps({"lambda_package_path": str(built.path), "lambda_package_hash": built.base64_sha256}))
    else:
        # Two lines to paste into terraform.tfvars.
        print(f'lambda_package_path = "{built.path}"')
        print(f'lambda_package_hash = "{built.base64_sha256}"')
    return 0


def _demo(args: argparse.Namespace) -> int:
    try:
        from rds_snapshot_copy.demo import run
    except ImportError as exc:
        print(
            f"the demo needs the emulator and python-terraform ({exc.name} is missing): "
            "pip install 'terraform-aws-rds-snapshot-copy[demo]'",
            file=sys.stderr,
        )
        return 2
    return run.main(args.repo)


def _terraformrc(args: argparse.Namespace) -> int:
    print(terraform_cli.cli_config_file())
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="rds-snapshot-copy",
        description="Operate the RDS/Aurora cross-region snapshot copy: build its function package, run the demo, "
        "see each source's recovery point, backfill missed snapshots, restore a copy, rehearse a failover, adopt "
        "the copies 0.4.x made.",
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, run: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(run=run)
        return sub

    package = command(
        "package",
        _package,
        "Build the deterministic function package (the zip the module's lambda_package_path names) and print "
        "its path and base64 SHA-256 (lambda_package_hash).",
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
    )
    demo.add_argument("--repo", type=Path, default=None, help="the repository checkout (default: found from here)")

    command(
        "terraformrc",
        _terraformrc,
        "Write a Terraform CLI configuration that installs providers from a local mirror where one exists "
        "(and from the registry otherwise) and print its path: "
        "export TF_CLI_CONFIG_FILE=$(rds-snapshot-copy terraformrc)",
    )
    status.add_arguments(command("status", status.run, status.HELP))
    backfill.add_arguments(command("backfill", backfill.run, backfill.HELP))
    restore.add_arguments(command("restore", restore.run, restore.HELP))
    drill.add_arguments(command("drill", drill.run, drill.HELP))
    adopt.add_arguments(command("adopt", adopt.run, adopt.HELP))
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
