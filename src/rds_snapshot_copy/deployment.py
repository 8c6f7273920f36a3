"""Which deployment `status` and `backfill` look at: its settings, and the clients that read it.

The settings are the reconciler function's own environment (`--function`, the module's
reconcile_function_name output, read with GetFunctionConfiguration), parsed by the function's own
ReconcileConfig.from_env: the command never interprets a setting differently from the function. A
deployment whose function cannot be read is given by flags instead (they fill the same environment
variables, so they are checked by the same code); with `--function`, a flag overrides the function's value.

Clients are plain boto3 clients: they honour AWS_ENDPOINT_URL (the demo's emulator) and the usual
profile and region settings.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from snapshot_copy.boto import BOTO_CONFIG
from snapshot_copy.errors import ConfigurationError
from snapshot_copy.reconcile import Clients
from snapshot_copy.reconcile_config import ReconcileConfig

# Flag (argparse dest) -> the reconciler's environment variable it sets.
FLAG_VARIABLES: dict[str, str] = {
    "source_region": "SOURCE_REGION",
    "destination_region": "DESTINATION_REGION",
    "queue_url": "COPY_QUEUE_URL",
    "requests_table": "REQUESTS_TABLE",
    "rpo_hours": "RPO_HOURS",
    "retention_days": "RETENTION_DAYS",
    "source_filter": "SOURCE_FILTER",
}
REQUIRED_VARIABLES = ("SOURCE_REGION", "DESTINATION_REGION", "COPY_QUEUE_URL")


class DeploymentError(Exception):
    """The deployment's settings could not be found or are invalid; the message says which and how to give them."""


@dataclass(frozen=True)
class Deployment:
    config: ReconcileConfig
    described_as: str  # where the settings came from, for messages: "function X (us-east-1)" or "flags"
    function: str | None = None  # the reconciler's name, when read from it

    def clients(self, session: Any = None) -> Clients:
        """The reconciler's clients (source RDS, destination RDS, the source region's SQS and DynamoDB)."""
        session = session or boto3.session.Session()
        source, destination = self.config.source_region, self.config.destination_region
        return Clients(
            source_rds=session.client("rds", region_name=source, config=BOTO_CONFIG),
            destination_rds=session.client("rds", region_name=destination, config=BOTO_CONFIG),
            sqs=session.client("sqs", region_name=source, config=BOTO_CONFIG),
            dynamodb=session.client("dynamodb", region_name=source, config=BOTO_CONFIG)
            if self.config.requests_table
            else None,
        )


def _flag(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--function/--region, or every setting by flag."""
    group = parser.add_argument_group(
        "deployment",
        "Read the settings from the deployed reconciler function (--function), or give them by flag when it "
        "cannot be read. With --function, a flag overrides the function's value.",
    )
    group.add_argument(
        "--function",
        metavar="NAME_OR_ARN",
        help="the reconciler function (the module's reconcile_function_name output, <name>-reconcile)",
    )
    group.add_argument(
        "--region",
        help="the reconciler's region, i.e. the source region (default: from the ARN, else the AWS configuration)",
    )
    group.add_argument("--source-region", help="the region the snapshots are copied from")
    group.add_argument("--destination-region", help="the region the copies are made in")
    group.add_argument("--queue-url", help="the copier's events queue (the module's queue_url output)")
    group.add_argument(
        "--requests-table", help="the copy requests table (copy_requests_table_name output; default: none)"
    )
    group.add_argument("--rpo-hours", metavar="HOURS", help="the recovery point objective (default: 26)")
    group.add_argument(
        "--retention-days", metavar="DAYS", help="only snapshots younger than this are enqueued (default: 35)"
    )
    group.add_argument("--source-filter", metavar="JSON", help="the module's source filter, as JSON (default: all)")


def load(args: argparse.Namespace, session: Any = None) -> Deployment:
    """The deployment the arguments name. Raises DeploymentError naming what is missing or wrong."""
    given = {
        FLAG_VARIABLES[dest]: value
        for dest in FLAG_VARIABLES
        if (value := getattr(args, dest, None)) is not None and str(value) != ""
    }
    function = getattr(args, "function", None)
    if function:
        region, name = _function_region(function, getattr(args, "region", None), session)
        env = dict(read_function_environment(name, region, session))
        described = f"function {name} ({region})"
        missing = [v for v in REQUIRED_VARIABLES if not env.get(v) and v not in given]
        if missing:
            raise DeploymentError(
                f"{described} has no {', '.join(missing)} in its environment: is it the reconciler "
                "(<name>-reconcile, the module's reconcile_function_name output)? Or give "
                + ", ".join(_flag(_dest_of(v)) for v in missing)
            )
    else:
        env, described, name = {}, "flags", None
        missing = [v for v in REQUIRED_VARIABLES if v not in given]
        if missing:
            raise DeploymentError(
                f"missing {', '.join(_flag(_dest_of(v)) for v in missing)}: give --function NAME (the module's "
                "reconcile_function_name output) to read the deployment's settings from its reconciler, or "
                "--source-region, --destination-region and --queue-url"
            )
    env.update(given)
    try:
        config = ReconcileConfig.from_env(env)
    except ConfigurationError as exc:
        raise DeploymentError(_explain(str(exc), given, described)) from None
    return Deployment(config=config, described_as=described, function=name)


def read_function_environment(name: str, region: str, session: Any = None) -> Mapping[str, str]:
    """The function's environment variables (Lambda GetFunctionConfiguration)."""
    session = session or boto3.session.Session()
    client = session.client("lambda", region_name=region, config=BOTO_CONFIG)
    try:
        answer = client.get_function_configuration(FunctionName=name)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ResourceNotFoundException":
            raise DeploymentError(
                f"no function {name} in {region}: give the module's reconcile_function_name output with --function "
                "and the source region with --region"
            ) from None
        raise DeploymentError(f"cannot read function {name} in {region}: {exc}") from None
    except BotoCoreError as exc:
        raise DeploymentError(f"cannot read function {name} in {region}: {exc}") from None
    environment = answer.get("Environment") or {}
    error = environment.get("Error")
    if error:
        # A customer-managed key the caller may not decrypt with: Lambda returns the error instead.
        raise DeploymentError(
            f"cannot read the environment of function {name}: {error.get('ErrorCode')}: {error.get('Message')}; "
            "give the settings by flag instead"
        )
    return environment.get("Variables") or {}


def _function_region(function: str, region: str | None, session: Any) -> tuple[str, str]:
    """(region, name) of a function given by name or ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME)."""
    if function.startswith("arn:"):
        parts = function.split(":")
        if len(parts) < 7 or parts[2] != "lambda" or parts[5] != "function":
            raise DeploymentError(f"--function {function!r} is not a Lambda function ARN")
        if region and region != parts[3]:
            raise DeploymentError(f"--region {region} differs from the region of --function {function} ({parts[3]})")
        # GetFunctionConfiguration takes the ARN as it is (a version or alias included).
        return parts[3], function
    region = region or (session or boto3.session.Session()).region_name
    if not region:
        raise DeploymentError(
            "no region for --function: give --region (the source region, where the functions run) or set "
            "AWS_REGION / a profile's region"
        )
    return region, function


def _dest_of(variable: str) -> str:
    return next(dest for dest, name in FLAG_VARIABLES.items() if name == variable)


def _explain(message: str, given: Mapping[str, str], described: str) -> str:
    """The function's complaint about a variable, in terms of the flag when the value came from one."""
    explained = message
    for dest, variable in FLAG_VARIABLES.items():
        if variable in given:
            explained = explained.replace(variable, _flag(dest))
    return explained if described == "flags" or explained != message else f"{described}: {message}"
