"""The examples: `terraform validate` of each, offline, and a plan of examples/two-destinations against the
local AWS emulator (moto_server), read from `terraform show -json` of the saved plan.

Each example calls the module at the repository's root (`source = "../../"`), so it is copied with the
module below it, under tmp_path, and nothing lands in the work tree. Terraform installs its providers through
the CLI configuration of `terraform_env()`: hashicorp/aws from the local provider mirror where one exists,
hashicorp/archive (the module zips its own lambda/) from the registry or the offline stand-in. A missing
terraform CLI fails these tests; it never skips them.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from rds_snapshot_copy.demo.emulator import Emulator
from rds_snapshot_copy.demo.stack import DEMO_KEY_ADMIN_ARN, IGNORED, Stack, Workspace, copy_module
from rds_snapshot_copy.terraform_cli import terraform_binary, terraform_env

REPO = Path(__file__).resolve().parents[1]
TWO_DESTINATIONS = Path("examples/two-destinations")
COMPLETE = Path("examples/complete")
BACKUP_ACCOUNT = Path("examples/backup-account")

SOURCE = "eu-west-1"
FIRST = "eu-central-1"
SECOND = "eu-north-1"
ALIASES = ("source", "first_destination", "second_destination")
INSTANCES = {
    "module.copy_to_first_destination": (f"rds-snapshot-copy-{FIRST}", FIRST),
    "module.copy_to_second_destination": (f"rds-snapshot-copy-{SECOND}", SECOND),
}

# The 0.4.x root stack's interface, which examples/complete keeps.
ROOT_STACK_VARIABLES = {
    "source_region",
    "destination_region",
    "name",
    "snapshot_event_ids",
    "kms_key_arn",
    "kms_key_prevent_destroy",
    "source_kms_key_arns",
    "option_group_name",
    "max_db_copies_in_progress",
    "max_cluster_copies_in_progress",
    "copy_wait_max_hours",
    "source_filter",
    "retention_days",
    "keep_last",
    "prune_schedule",
    "prune_dry_run",
    "prune_lambda_timeout",
    "quota_alarm_threshold_percent",
    "rpo_hours",
    "reconcile_grace_minutes",
    "reconcile_schedule",
    "reconcile_lambda_timeout",
    "per_source_recovery_point_metrics",
    "drill_max_age_days",
    "log_retention_in_days",
    "alarm_sns_topic_arn",
    "tags",
    # 0.5: the key's guard (required when the module creates the key), the calendar tiers and the lock.
    "key_admin_principal_arns",
    "keep_daily",
    "keep_weekly",
    "keep_monthly",
    "keep_yearly",
    "min_retention_days",
}
ROOT_STACK_OUTPUTS = {
    "function_arn",
    "function_name",
    "role_arn",
    "rule_arn",
    "rule_name",
    "queue_arn",
    "queue_url",
    "dead_letter_queue_arn",
    "dead_letter_queue_url",
    "kms_key_arn",
    "log_group_name",
    "alarm_arns",
    "event_source_mapping_uuid",
    "lambda_environment",
    "prune_function_name",
    "scheduled_dead_letter_queue_url",
    "reconcile_function_name",
    "copy_requests_table_name",
    "operator_policy_json",
    "backup_protection_scp_json",
}

# What each instance must create: the resources of the module at their addresses inside it.
EXPECTED_PER_INSTANCE = (
    "aws_cloudwatch_event_rule.this",
    "aws_cloudwatch_event_target.this",
    "aws_sqs_queue.this",
    "aws_sqs_queue.dead_letter",
    "aws_lambda_event_source_mapping.this",
    "aws_kms_key.this[0]",
    "aws_kms_alias.this[0]",
    "module.copier.aws_lambda_function.this",
    "module.copier.aws_iam_role.this",
    "module.copier.aws_iam_role_policy.this",
    "module.copier.aws_cloudwatch_log_group.this",
    "module.copier.aws_cloudwatch_metric_alarm.errors",
)


def _terraform() -> str:
    found = terraform_binary()
    assert found, "the terraform CLI is not on PATH: install terraform >= 1.9"
    return found


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_terraform(), *args],
        cwd=cwd,
        env=terraform_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def _copy_example(example: Path, into: Path) -> Path:
    """The module, and the example at its place below it (its `source` is ../../), without local state or
    generated files."""
    copy_module(REPO, into)
    shutil.copytree(REPO / example, into / example, ignore=IGNORED)
    return into / example


@pytest.mark.parametrize("example", [TWO_DESTINATIONS, COMPLETE], ids=lambda p: p.name)
def test_example_calls_the_root_module(example: Path) -> None:
    # The module is the repository's root; the examples pass no package (the module zips its own lambda/).
    text = "\n".join(p.read_text() for p in sorted((REPO / example).glob("*.tf")))
    sources = re.findall(r'^module "[^"]+" \{.*?^\s*source\s*=\s*"([^"]*)"', text, re.M | re.S)
    assert sources and set(sources) == {"../../"}, sources
    for name in ("lambda_package_path", "lambda_package_hash"):
        block = re.search(rf'variable "{name}" \{{(.*?)\n\}}', text, re.S)
        assert block and re.search(r"^\s*default\s*=\s*null$", block.group(1), re.M), f"{name} must be optional"


def test_backup_account_calls_the_vault_and_the_source_module() -> None:
    # Two accounts in one stack: the root module as the vault (backup-account mode) with the vault providers,
    # the source module with the source account's provider, fed the vault's backup_account output; one
    # optional prebuilt package for both.
    text = "\n".join(p.read_text() for p in sorted((REPO / BACKUP_ACCOUNT).glob("*.tf")))
    calls = dict(re.findall(r'^module "([^"]+)" \{.*?^\s*source\s*=\s*"([^"]*)"', text, re.M | re.S))
    assert calls == {"vault": "../../", "source": "../../modules/source-account"}, calls
    assert re.search(r"^\s*source_account_ids\s*=\s*\[var\.source_account_id\]$", text, re.M)
    assert re.search(r"^\s*vaults\s*=\s*\[module\.vault\.backup_account\]$", text, re.M)
    aliases = re.findall(r'^provider "aws" \{\n\s*alias\s*=\s*"([^"]+)"', text, re.M)
    assert aliases == ["vault_source", "vault_destination", "app"], aliases
    # The source account is reached through a role Terraform assumes there.
    app = re.search(r'alias\s*=\s*"app"(.*?)^\}', text, re.M | re.S)
    assert app and "assume_role" in app.group(1) and "var.source_account_id" in app.group(1)
    for name in ("lambda_package_path", "lambda_package_hash"):
        block = re.search(rf'variable "{name}" \{{(.*?)\n\}}', text, re.S)
        assert block and re.search(r"^\s*default\s*=\s*null$", block.group(1), re.M), f"{name} must be optional"
        assert len(re.findall(rf"^\s*{name}\s*=\s*var\.{name}$", text, re.M)) == 2, f"{name} must reach both modules"


def test_complete_keeps_the_old_root_stack_interface() -> None:
    # A stack applied from the 0.4.x root moves here with its tfvars, its scripts reading the outputs and its
    # state: the same variables and outputs, and the module call under the same name.
    text = "\n".join(p.read_text() for p in sorted((REPO / COMPLETE).glob("*.tf")))
    variables = set(re.findall(r'^variable "([^"]+)"', text, re.M))
    outputs = set(re.findall(r'^output "([^"]+)"', text, re.M))
    # and the optional prebuilt package, which the 0.4.x root built itself and the demo passes.
    assert variables == {*ROOT_STACK_VARIABLES, "lambda_package_path", "lambda_package_hash"}, sorted(variables)
    assert outputs == ROOT_STACK_OUTPUTS, sorted(outputs ^ ROOT_STACK_OUTPUTS)
    assert re.findall(r'^module "([^"]+)"', text, re.M) == ["rds_snapshot_copy"]


@pytest.mark.parametrize("example", [TWO_DESTINATIONS, COMPLETE, BACKUP_ACCOUNT], ids=lambda p: p.name)
def test_example_validates_offline(example: Path, tmp_path: Path) -> None:
    directory = _copy_example(example, tmp_path)
    init = _run(["init", "-backend=false", "-input=false", "-no-color"], directory)
    assert init.returncode == 0, f"terraform init failed in {example}:\n{init.stdout}\n{init.stderr}"
    validate = _run(["validate", "-json", "-no-color"], directory)
    result = json.loads(validate.stdout)
    diagnostics = json.dumps(result["diagnostics"], indent=2)
    assert validate.returncode == 0 and result["valid"], f"{example} does not validate:\n{diagnostics}"
    assert result["error_count"] == 0 and result["warning_count"] == 0, diagnostics


def _saved_plan(stack: Stack) -> dict[str, Any]:
    """`terraform plan -out` then `terraform show -json` of it, in the workspace."""
    code, out, _ = stack.tf.cmd("plan", "-input=false", "-no-color", "-out=examples.tfplan")
    assert code == 0, f"terraform plan -out failed:\n{out}"
    code, out, _ = stack.tf.cmd("show", "-json", "-no-color", "examples.tfplan")
    assert code == 0, f"terraform show -json failed:\n{out}"
    return json.loads(out)


def _provider_keys(plan: dict[str, Any]) -> dict[str, str]:
    """Planned resource address -> the root provider configuration it uses (e.g. aws.first_destination)."""
    keys: dict[str, str] = {}

    def walk(module: dict[str, Any], prefix: str) -> None:
        for resource in module.get("resources", []):
            keys[f"{prefix}{resource['address']}"] = resource.get("provider_config_key", "")
        for name, call in module.get("module_calls", {}).items():
            walk(call.get("module", {}), f"{prefix}module.{name}.")

    walk(plan["configuration"]["root_module"], "")
    return keys


def test_two_destinations_plans_against_the_emulator() -> None:
    _terraform()
    emulator = Emulator()
    workspace: Workspace | None = None
    try:
        emulator.start()
        workspace = Workspace.create(
            emulator.endpoint,
            repo=REPO,
            example=TWO_DESTINATIONS,
            variables={
                "source_region": SOURCE,
                "first_destination_region": FIRST,
                "second_destination_region": SECOND,
                "key_admin_principal_arns": [DEMO_KEY_ADMIN_ARN],
            },
            provider_aliases=ALIASES,
        )
        stack = Stack(workspace)
        stack.init()
        no_changes, text = stack.plan()
        assert not no_changes, f"the plan of an empty account changes nothing:\n{text}"
        for instance in INSTANCES:
            assert f"# {instance}.module.copier.aws_lambda_function.this will be created" in text, text[-4000:]

        plan = _saved_plan(stack)
        changes = {change["address"]: change for change in plan["resource_changes"]}
        actions = {address: change["change"]["actions"] for address, change in changes.items()}
        assert all(a in (["create"], ["read"]) for a in actions.values()), actions
        created = {address for address, a in actions.items() if a == ["create"]}
        assert f"Plan: {len(created)} to add, 0 to change, 0 to destroy." in text

        # Both instances plan the same resources, and at least the module's essential ones.
        relative = {
            instance: {
                address.removeprefix(f"{instance}.") for address in created if address.startswith(f"{instance}.")
            }
            for instance in INSTANCES
        }
        assert set().union(*relative.values()) and len(set(map(frozenset, relative.values()))) == 1, relative
        assert sum(map(len, relative.values())) == len(created), sorted(created)
        for instance, addresses in relative.items():
            missing = [r for r in EXPECTED_PER_INSTANCE if r not in addresses]
            assert not missing, f"{instance} does not plan {missing}; planned: {sorted(addresses)}"

        providers = _provider_keys(plan)
        for instance, (name, region) in INSTANCES.items():
            after = {r: changes[f"{instance}.{r}"]["change"]["after"] for r in EXPECTED_PER_INSTANCE}
            assert after["module.copier.aws_lambda_function.this"]["function_name"] == name
            assert after["module.copier.aws_cloudwatch_log_group.this"]["name"] == f"/aws/lambda/{name}"
            assert after["aws_sqs_queue.this"]["name"] == f"{name}-events"
            assert after["aws_sqs_queue.dead_letter"]["name"] == f"{name}-dlq"
            assert after["aws_cloudwatch_event_rule.this"]["name"] == f"{name}-snapshot-created"
            assert after["module.copier.aws_iam_role.this"]["name"] == f"{name}-copier"
            assert after["aws_kms_alias.this[0]"]["name"] == f"alias/{name}"
            assert after["aws_kms_key.this[0]"]["tags"]["destination_region"] == region
            assert after["aws_kms_key.this[0]"]["description"].endswith(f"from {SOURCE}")

            # The key and its alias go to this instance's destination provider; everything else to the
            # shared source provider (resolved to the root's provider configurations).
            alias = "aws.first_destination" if region == FIRST else "aws.second_destination"
            for address in relative[instance]:
                resource = address.split("[")[0]
                expected = alias if resource.startswith(("aws_kms_key.", "aws_kms_alias.")) else "aws.source"
                assert providers[f"{instance}.{resource}"] == expected, (instance, address, providers)

        # The three provider configurations take their regions from the example's variables.
        config = plan["configuration"]["provider_config"]
        for key, variable in (
            ("aws.source", "var.source_region"),
            ("aws.first_destination", "var.first_destination_region"),
            ("aws.second_destination", "var.second_destination_region"),
        ):
            assert config[key]["expressions"]["region"]["references"] == [variable], config[key]
        assert plan["variables"]["first_destination_region"]["value"] == FIRST
        assert plan["variables"]["second_destination_region"]["value"] == SECOND

        # Nothing of one type named twice in the source region: the instances do not collide.
        names = [
            (changes[address]["type"], changes[address]["change"]["after"].get(field))
            for address in created
            for field in ("name", "function_name", "alarm_name")
            if changes[address]["change"]["after"].get(field)
        ]
        assert len(names) >= 2 * len(EXPECTED_PER_INSTANCE) - 2, sorted(names)
        assert len(names) == len(set(names)), sorted(names)
    finally:
        try:
            emulator.stop()
        finally:
            if workspace is not None:
                workspace.remove()
