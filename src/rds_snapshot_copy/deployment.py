"""Which deployment a command looks at: its settings, its identity, and the clients that read it.

The settings are the reconciler function's own environment (`--function`, the module's
reconciler_function_name output, read with GetFunctionConfiguration), parsed by the function's own
ReconcileConfig.from_env: the command never interprets a setting differently from the function.
- `status`: a deployment whose function cannot be read is given by flags instead (they fill the same
  environment variables, so they are checked by the same code); with `--function`, a flag overrides the
  function's value.
- `backfill` takes no setting by flag (`add_function_arguments`): it enqueues as the deployed reconciler
  would, and a window, grace or filter typed by hand would silently differ from it.
- `restore`, `drill` and `adopt` need only the deployment's identity (`identity`): its two regions and its
  name (DEPLOYMENT_NAME, whose copies are "ours", snapshot_copy.ownership), from `--function` or from
  `--source-region`, `--destination-region` and `--deployment` (default: the module's default name). The
  function runs in the source region, which may be the one that is down: the flags need nothing from it.

Clients are plain boto3 clients: they honour AWS_ENDPOINT_URL (the demo's emulator) and the usual
profile and region settings.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from snapshot_copy.boto import BOTO_CONFIG
from snapshot_copy.config import DEFAULT_DEPLOYMENT_NAME, deployment_name
from snapshot_copy.errors import ConfigurationError
from snapshot_copy.ownership import Owner
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
    "deployment": "DEPLOYMENT_NAME",
}
REQUIRED_VARIABLES = ("SOURCE_REGION", "DESTINATION_REGION", "COPY_QUEUE_URL")
# The identity's variables -> the flags of restore, drill and adopt that give them.
IDENTITY_FLAGS = {
    "SOURCE_REGION": "--source-region",
    "DESTINATION_REGION": "--destination-region",
    "DEPLOYMENT_NAME": "--deployment",
}


class DeploymentError(Exception):
    """The deployment's settings could not be found or are invalid; the message says which and how to give them."""


@dataclass(frozen=True)
class Deployment:
    config: ReconcileConfig
    described_as: str  # where the settings came from, for messages: "function X (us-east-1)" or "flags"
    function: str | None = None  # the reconciler's name, when read from it
    # The settings as read (the reconciler's environment and the flags over it): `status` sizes the retention
    # rules the module puts there (KEEP_*, PRUNE_RETENTION_DAYS) that the reconciler itself does not use.
    environment: Mapping[str, str] = field(default_factory=dict)

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
        help="the reconciler function (the module's reconciler_function_name output, <name>-reconcile)",
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
    group.add_argument(
        "--deployment",
        metavar="NAME",
        help=f"the module's name (DEPLOYMENT_NAME): only its copies count (default: {DEFAULT_DEPLOYMENT_NAME})",
    )


def add_function_arguments(parser: argparse.ArgumentParser) -> None:
    """--function (required) and --region: every setting is the deployed reconciler's, none by flag."""
    group = parser.add_argument_group(
        "deployment",
        "Every setting is the deployed reconciler's own, read from its environment: none can be given by flag.",
    )
    group.add_argument(
        "--function",
        required=True,
        metavar="NAME_OR_ARN",
        help="the reconciler function (the module's reconciler_function_name output, <name>-reconcile)",
    )
    group.add_argument(
        "--region",
        help="the reconciler's region, i.e. the source region (default: from the ARN, else the AWS configuration)",
    )


def load(args: argparse.Namespace, session: Any = None) -> Deployment:
    """The deployment the arguments name. Raises DeploymentError naming what is missing or wrong.

    Setting flags are read where the parser has them (add_arguments); with add_function_arguments there are
    none, and a function without a required setting is an error with no flag to suggest."""
    given = {
        FLAG_VARIABLES[dest]: value
        for dest in FLAG_VARIABLES
        if (value := getattr(args, dest, None)) is not None and str(value) != ""
    }
    function = getattr(args, "function", None)
    by_flag = hasattr(args, "queue_url")
    if function:
        region, name = _function_region(function, getattr(args, "region", None), session)
        try:
            env = dict(read_function_environment(name, region, session))
        except DeploymentError as exc:
            raise DeploymentError(f"{exc}; or give the settings by flag" if by_flag else str(exc)) from None
        described = f"function {name} ({region})"
        missing = [v for v in REQUIRED_VARIABLES if not env.get(v) and v not in given]
        if missing:
            raise DeploymentError(
                f"{described} has no {', '.join(missing)} in its environment: is it the reconciler "
                "(<name>-reconcile, the module's reconciler_function_name output)?"
                + (" Or give " + ", ".join(_flag(_dest_of(v)) for v in missing) if by_flag else "")
            )
    else:
        env, described, name = {}, "flags", None
        missing = [v for v in REQUIRED_VARIABLES if v not in given]
        if missing:
            raise DeploymentError(
                f"missing {', '.join(_flag(_dest_of(v)) for v in missing)}: give --function NAME (the module's "
                "reconciler_function_name output) to read the deployment's settings from its reconciler, or "
                "--source-region, --destination-region and --queue-url"
            )
    env.update(given)
    try:
        config = ReconcileConfig.from_env(env)
    except ConfigurationError as exc:
        raise DeploymentError(_explain(str(exc), given, described)) from None
    return Deployment(config=config, described_as=described, function=name, environment=env)


@dataclass(frozen=True)
class Identity:
    """Whose copies a command acts on: the deployment's name and regions (ownership.Owner and where to look)."""

    owner: Owner
    destination_region: str
    described_as: str  # "function X (region)" or "flags"

    @property
    def source_region(self) -> str:
        return self.owner.source_region

    @property
    def deployment(self) -> str:
        return self.owner.deployment


def add_identity_arguments(parser: argparse.ArgumentParser) -> None:
    """--function, or --source-region, --destination-region (dest `region`) and --deployment."""
    group = parser.add_argument_group(
        "deployment",
        "Whose copies: read the regions and the name from one of the deployment's functions (--function, in "
        "the source region), or give them by flag (nothing is read from the source region). Given both, they "
        "must agree.",
    )
    group.add_argument(
        "--function",
        metavar="NAME_OR_ARN",
        help="a function of the deployment, e.g. the reconciler (the module's reconciler_function_name output); "
        "a name is looked up in --source-region",
    )
    group.add_argument(
        "--source-region", metavar="REGION", help="the region the copies were made from (their source_region tag)"
    )
    # Named for what it is: status and backfill take --region for the reconciler's (source) region.
    group.add_argument(
        "--destination-region", dest="region", metavar="REGION", help="the destination region, where the copies are"
    )
    group.add_argument(
        "--deployment",
        metavar="NAME",
        help=f"the module's name (DEPLOYMENT_NAME): only copies tagged as its own count "
        f"(default: the function's, else {DEFAULT_DEPLOYMENT_NAME})",
    )


def identity(
    function: str | None,
    source_region: str | None,
    destination_region: str | None,
    deployment: str | None,
    session: Any = None,
) -> Identity:
    """The deployment's identity from a function's environment and/or the flags; raises DeploymentError naming
    what is missing, invalid or contradictory."""
    given = {"SOURCE_REGION": source_region, "DESTINATION_REGION": destination_region, "DEPLOYMENT_NAME": deployment}
    flags = IDENTITY_FLAGS
    if function:
        region, name = _function_region(function, source_region, session, region_flag="--source-region")
        env = dict(read_function_environment(name, region, session))
        described = f"function {name} ({region})"
        absent = [v for v in ("SOURCE_REGION", "DESTINATION_REGION") if not env.get(v)]
        if absent:
            raise DeploymentError(
                f"{described} has no {', '.join(absent)} in its environment: is it a function of the module? "
                f"Or give {', '.join(flags[v] for v in absent)} instead of --function"
            )
        for variable, value in given.items():
            theirs = env.get(variable) or (DEFAULT_DEPLOYMENT_NAME if variable == "DEPLOYMENT_NAME" else None)
            if value and value != theirs:
                raise DeploymentError(f"{flags[variable]} {value} differs from {described}'s {variable} ({theirs})")
    else:
        described = "flags"
        missing = [flags[v] for v in ("SOURCE_REGION", "DESTINATION_REGION") if not given[v]]
        if missing:
            raise DeploymentError(
                f"missing {', '.join(missing)}: give them (and --deployment NAME, the module's name, when it is "
                f"not {DEFAULT_DEPLOYMENT_NAME}), or --function NAME to read them from one of the deployment's "
                "functions"
            )
        env = {variable: value for variable, value in given.items() if value}
    if env["SOURCE_REGION"] == env["DESTINATION_REGION"]:
        raise DeploymentError(f"the source and destination regions must differ (both {env['SOURCE_REGION']})")
    try:
        name = deployment_name(env)
    except ConfigurationError as exc:
        raise DeploymentError(
            _explain(str(exc), {"DEPLOYMENT_NAME": deployment} if deployment else {}, described)
        ) from None
    return Identity(Owner(name, env["SOURCE_REGION"]), env["DESTINATION_REGION"], described)


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
                f"no function {name} in {region}: give the module's reconciler_function_name output with --function "
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
            f"cannot read the environment of function {name}: {error.get('ErrorCode')}: {error.get('Message')}"
        )
    return environment.get("Variables") or {}


def _function_region(function: str, region: str | None, session: Any, region_flag: str = "--region") -> tuple[str, str]:
    """(region, name) of a function given by name or ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME);
    `region_flag` is the flag that gave `region`, for messages."""
    if function.startswith("arn:"):
        parts = function.split(":")
        if len(parts) < 7 or parts[2] != "lambda" or parts[5] != "function":
            raise DeploymentError(f"--function {function!r} is not a Lambda function ARN")
        if region and region != parts[3]:
            raise DeploymentError(
                f"{region_flag} {region} differs from the region of --function {function} ({parts[3]})"
            )
        # GetFunctionConfiguration takes the ARN as it is (a version or alias included).
        return parts[3], function
    region = region or (session or boto3.session.Session()).region_name
    if not region:
        raise DeploymentError(
            f"no region for --function: give {region_flag} (the source region, where the functions run) or set "
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


def number_type(
    what: str, maximum: float, *, minimum: float = 0.0, above_minimum: bool = True, whole: bool = False
) -> Callable[[str], float]:
    """An argparse type: a finite number (`whole`: an integer) more than `minimum` (or at least it, when not
    `above_minimum`) and at most `maximum`. argparse names the flag in front of the message and exits 2;
    past the bound a date or a sleep would overflow instead."""

    def parse(text: str) -> float:
        try:
            value: float = int(text) if whole else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        low_ok = value > minimum if above_minimum else value >= minimum
        if not (math.isfinite(value) and low_ok and value <= maximum):
            low = f"more than {minimum:g}" if above_minimum else f"at least {minimum:g}"
            raise argparse.ArgumentTypeError(f"expected {what} {low} and at most {maximum:g}, got {text!r}")
        return value

    return parse
