"""`rds-snapshot-copy terraformrc`: one CLI configuration, reused (no directory left per call), that installs
what a local mirror holds from it, and hashicorp/archive from the offline stand-in only where neither a mirror
nor the registry offers it, with no plugin cache then (the stand-in must never reach one)."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from rds_snapshot_copy import cli, terraform_cli
from rds_snapshot_copy.demo import offline_archive

ARCHIVE = "registry.terraform.io/hashicorp/archive"
AWS = "registry.terraform.io/hashicorp/aws"


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setattr(terraform_cli, "CONFIG_DIR", tmp_path / "cache")
    monkeypatch.setattr(terraform_cli, "PLUGIN_CACHE", tmp_path / "plugin-cache")
    terraform_cli.cli_config_file.cache_clear()
    yield tmp_path / "cache"
    terraform_cli.cli_config_file.cache_clear()


def fake_mirror(root: Path, *providers: str) -> Path:
    for provider in providers:
        name = provider.rsplit("/", 1)[1]
        binary = root / provider / "1.0.0" / "linux_amd64" / f"terraform-provider-{name}_v1.0.0"
        binary.parent.mkdir(parents=True)
        binary.write_text("")
    return root


def written_config(monkeypatch: pytest.MonkeyPatch, mirror: Path | None, registry: bool) -> str:
    monkeypatch.setattr(terraform_cli, "find_mirror", lambda: mirror)
    monkeypatch.setattr(terraform_cli, "registry_reachable", lambda: registry)
    terraform_cli.cli_config_file.cache_clear()
    return terraform_cli.cli_config_file().read_text()


def test_repeated_calls_leave_nothing_behind(
    config_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", None)
    printed = set()
    for _ in range(5):
        terraform_cli.cli_config_file.cache_clear()
        assert cli.main(["terraformrc"]) == 0
        printed.add(capsys.readouterr().out.strip())
    assert len(printed) == 1, printed
    path = Path(printed.pop())
    assert path.is_file() and "provider_installation" in path.read_text()
    # Nothing in the temporary directory; beside the config, only the stand-in's mirror where it is used, and
    # no leftovers of the atomic writes anywhere.
    assert list((tmp_path / "tmp").iterdir()) == []
    beside = sorted(p.name for p in path.parent.iterdir())
    assert [n for n in beside if not n.startswith("archive-stand-in-")] == [path.name], beside
    assert not [p for p in path.parent.rglob(".*")], list(path.parent.rglob(".*"))


def test_the_stand_in_only_where_nothing_offers_hashicorp_archive(
    config_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws_only = fake_mirror(tmp_path / "aws-only", AWS)
    both = fake_mirror(tmp_path / "both", AWS, ARCHIVE)

    # Offline, and the mirror has no hashicorp/archive: the stand-in, from a mirror of its own; no plugin cache.
    offline = written_config(monkeypatch, aws_only, registry=False)
    assert offline.startswith(terraform_cli.STAND_IN_MARKER)
    assert "plugin_cache_dir" not in offline
    stand_in = re.search(r'path    = "([^"]+)"\n    include = \["registry.terraform.io/hashicorp/archive"\]', offline)
    assert stand_in, offline
    assert offline_archive.executable_path(Path(stand_in.group(1))).is_file()
    assert f'path    = "{aws_only}"\n    include = ["{AWS}"]' in offline
    assert f'exclude = ["{ARCHIVE}", "{AWS}"]' in offline  # never direct: no registry stand-in mix-up

    # Online, or a mirror that has it: the real provider, and the plugin cache as before.
    for mirror, registry in ((aws_only, True), (both, False)):
        text = written_config(monkeypatch, mirror, registry)
        assert "stand-in" not in text and text.startswith("plugin_cache_dir"), text
    assert f'include = ["{ARCHIVE}", "{AWS}"]' in written_config(monkeypatch, both, registry=False)

    # No mirror at all, offline: the stand-in for hashicorp/archive, the registry for the rest (it will say).
    bare = written_config(monkeypatch, None, registry=False)
    assert bare.count("filesystem_mirror") == 1 and f'exclude = ["{ARCHIVE}"]' in bare


def test_no_plugin_cache_reaches_terraform_with_the_stand_in(
    config_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mirror = fake_mirror(tmp_path / "mirror", AWS)
    written_config(monkeypatch, mirror, registry=False)
    env = terraform_cli.terraform_env(
        {"TF_PLUGIN_CACHE_DIR": str(tmp_path / "theirs"), "TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE": "1"}
    )
    assert "TF_PLUGIN_CACHE_DIR" not in env and "TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE" not in env
    assert env["TF_CLI_CONFIG_FILE"] == str(terraform_cli.cli_config_file())

    monkeypatch.setenv("TF_PLUGIN_CACHE_DIR", str(tmp_path / "theirs"))
    monkeypatch.delenv("TF_CLI_CONFIG_FILE", raising=False)
    terraform_cli.use_offline_capable_config()
    assert "TF_PLUGIN_CACHE_DIR" not in os.environ
    assert os.environ["TF_CLI_CONFIG_FILE"] == str(terraform_cli.cli_config_file())

    # With the real provider available, the caller's cache is theirs to use.
    written_config(monkeypatch, mirror, registry=True)
    env = terraform_cli.terraform_env({"TF_PLUGIN_CACHE_DIR": str(tmp_path / "theirs")})
    assert env["TF_PLUGIN_CACHE_DIR"] == str(tmp_path / "theirs")


def test_terraformrc_initialises_the_modules_providers_here(config_dir: Path, tmp_path: Path) -> None:
    """With the printed configuration, `terraform init` of a stack that needs hashicorp/aws and hashicorp/archive
    (as the module does) works on this machine: from the mirror and the registry, or offline with the stand-in."""
    terraform = terraform_cli.terraform_binary()
    assert terraform, "the terraform CLI is not on PATH: install terraform >= 1.9"
    (tmp_path / "stack").mkdir()
    (tmp_path / "stack" / "main.tf").write_text(
        "terraform {\n  required_providers {\n"
        '    aws     = { source = "hashicorp/aws", version = ">= 5.75" }\n'
        '    archive = { source = "hashicorp/archive", version = ">= 2.4" }\n'
        "  }\n}\n"
    )
    env = terraform_cli.terraform_env()
    result = subprocess.run(
        [terraform, "init", "-input=false", "-no-color"],
        cwd=tmp_path / "stack",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lock = (tmp_path / "stack" / ".terraform.lock.hcl").read_text()
    assert f'provider "{ARCHIVE}"' in lock and f'provider "{AWS}"' in lock
