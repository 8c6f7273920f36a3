"""`rds-snapshot-copy emulator`: the demo's local AWS emulator, for your own stack.

It runs moto_server with the fixes the module needs (emulator.patch_moto) on 127.0.0.1 in the foreground
and prints, on stdout, what points a stack and the tools at it:

1. the provider override: a `*_override.tf` whose provider blocks Terraform merges into the stack's own
   `aws` providers of the same aliases (default: source and destination, as examples/complete names them),
   adding the emulator's endpoints and fake credentials and leaving the regions as they are;
2. the environment: AWS_ENDPOINT_URL and fake credentials (for the AWS CLI, the SDKs and rds-snapshot-copy
   itself), and TF_CLI_CONFIG_FILE (rds_snapshot_copy.terraform_cli: providers from a local mirror where
   there is one, and the offline hashicorp/archive where no registry is reachable).

Ctrl-C or SIGTERM stops it (exit 0): its state lives in memory and is gone then.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import shlex
import signal
import socket
import sys
import time
from pathlib import Path
from typing import TextIO

from rds_snapshot_copy import terraform_cli
from rds_snapshot_copy.demo.emulator import (
    ACCESS_KEY,
    HOST,
    PROVIDER_ALIASES,
    SECRET_KEY,
    Emulator,
    EmulatorError,
    provider_override,
    signals_raise_keyboard_interrupt,
)
from rds_snapshot_copy.exit_codes import ERROR, FINDING, INTERRUPTED, OK

HELP = (
    "Run the local AWS emulator of the demo (moto_server, with the fixes the module needs) on 127.0.0.1 in "
    "the foreground, and print the provider override and the environment that point your stack, the AWS CLI "
    "and this command at it. Ctrl-C stops it. No AWS account; needs the [demo] extra."
)
EXIT_CODES = {
    OK: "stopped with Ctrl-C or SIGTERM (how it is stopped; its state is gone with it)",
    FINDING: "the emulator stopped by itself (the end of its log is printed)",
    ERROR: "a bad argument, the port is taken, the [demo] extra is missing, or the emulator did not start",
    INTERRUPTED: "interrupted before the emulator was ready",
}
OVERRIDE_FILE = "emulator_override.tf"
# Where the printed override starts and ends, for a script that cuts it out of the output.
OVERRIDE_BEGIN = f"# ----- {OVERRIDE_FILE} -----"
OVERRIDE_END = f"# ----- end of {OVERRIDE_FILE} -----"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=None, help="the port to listen on (default: a free one)")
    parser.add_argument(
        "--alias",
        dest="aliases",
        action="append",
        metavar="ALIAS",
        help="an `aws` provider alias the override points at the emulator; repeat for each "
        f"(default: {' and '.join(PROVIDER_ALIASES)}, as examples/complete)",
    )
    parser.add_argument(
        "--write-override",
        type=Path,
        metavar="FILE",
        help=f"also write the override to FILE (e.g. {OVERRIDE_FILE} in your stack; never commit it)",
    )
    parser.add_argument(
        "--log", type=Path, metavar="FILE", help="append the emulator's request log to FILE (default: not kept)"
    )


def missing_requirement() -> str | None:
    """The module of the [demo] extra that the emulator needs and this Python lacks, if any."""
    for module in ("moto", "flask", "flask_cors"):
        if importlib.util.find_spec(module) is None:
            return module
    return None


def port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return True
    return False


def environment(endpoint: str, cli_config: Path | None) -> dict[str, str]:
    """What the shell needs: the SDKs' endpoint and fake credentials, and Terraform's CLI configuration."""
    env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
    if cli_config is not None:
        env["TF_CLI_CONFIG_FILE"] = str(cli_config)
    return env


def print_instructions(emulator: Emulator, override: str, env: dict[str, str], out: TextIO) -> None:
    pid = emulator.process.pid if emulator.process else "?"
    print(f"# rds-snapshot-copy emulator: moto_server on {emulator.endpoint} (pid {pid}); Ctrl-C stops it.", file=out)
    print(f"# The provider override: save it as {OVERRIDE_FILE} beside your stack's providers.", file=out)
    print(OVERRIDE_BEGIN, file=out)
    print(override.rstrip("\n"), file=out)
    print(OVERRIDE_END, file=out)
    print("# The environment, for terraform, the AWS CLI and SDKs, and rds-snapshot-copy:", file=out)
    for name, value in env.items():
        print(f"export {name}={shlex.quote(value)}", file=out)
    out.flush()


def run(args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    missing = missing_requirement()
    if missing is not None:
        print(
            f"error: the emulator needs moto_server ({missing} is missing): "
            "pip install 'terraform-aws-rds-snapshot-copy[demo]'",
            file=err,
        )
        return ERROR
    if args.port is not None and not 0 < args.port < 65536:
        print(f"error: --port {args.port} is not a port (1 to 65535)", file=err)
        return ERROR
    if args.port is not None and port_taken(args.port):
        print(f"error: {HOST}:{args.port} is in use: choose another --port, or leave it out for a free one", file=err)
        return ERROR
    aliases = tuple(args.aliases or PROVIDER_ALIASES)
    try:
        cli_config: Path | None = terraform_cli.cli_config_file()
    except OSError as exc:
        print(f"warning: no Terraform CLI configuration ({exc}): TF_CLI_CONFIG_FILE left out", file=err)
        cli_config = None
    emulator = Emulator(port=args.port, log_path=args.log)
    with signals_raise_keyboard_interrupt():
        try:
            try:
                emulator.start()
            except EmulatorError as exc:
                print(f"error: the emulator did not start: {exc}", file=err)
                return ERROR
            except KeyboardInterrupt:
                return INTERRUPTED
            override = provider_override(emulator.endpoint, aliases)
            if args.write_override is not None:
                try:
                    args.write_override.write_text(override)
                except OSError as exc:
                    print(f"error: cannot write the override: {exc}", file=err)
                    return ERROR
                print(f"# written: {args.write_override}", file=out)
            print_instructions(emulator, override, environment(emulator.endpoint, cli_config), out)
            print(f"emulator ready on {emulator.endpoint}; Ctrl-C stops it", file=err, flush=True)
            try:
                while emulator.running:
                    time.sleep(0.5)
            except KeyboardInterrupt:
                return OK
            print(f"error: the emulator stopped by itself; the end of its log:\n{emulator.log_tail()}", file=err)
            return FINDING
        finally:
            # A few quick steps; a second Ctrl-C must not cut them short and leave the server running.
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                running = emulator.running
                emulator.stop()
                if running:
                    print("emulator stopped", file=err, flush=True)
            finally:
                with contextlib.suppress(ValueError):
                    signal.signal(signal.SIGINT, previous)
