"""The function package: deterministic, built from any directory, the same files as lambda/ (what the
root's archive_file zips), and nothing in it but the standard library, boto3 and the core package."""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from rds_snapshot_copy.package import ENTRY_MODULES, build_package, directory_sources, installed_sources

REPO = Path(__file__).resolve().parents[1]
LAMBDA_DIR = REPO / "lambda"


def test_package_is_deterministic(tmp_path: Path) -> None:
    first = build_package(tmp_path / "a" / "lambda.zip")
    second = build_package(tmp_path / "b" / "lambda.zip")
    assert first.path.read_bytes() == second.path.read_bytes()
    assert (
        first.base64_sha256
        == second.base64_sha256
        == base64.b64encode(hashlib.sha256(first.path.read_bytes()).digest()).decode()
    )
    with zipfile.ZipFile(first.path) as archive:
        names = archive.namelist()
        assert names == sorted(names)
        assert {f"{m}.py" for m in ENTRY_MODULES} <= set(names)
        assert "snapshot_copy/snapshot_kinds.json" in names
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert {(i.external_attr >> 16) & 0o777 for i in archive.infolist()} == {0o644}
        # The catalogue is a symlink into the module's folder: the zip holds its content.
        catalogue = json.loads(archive.read("snapshot_copy/snapshot_kinds.json"))
        assert set(catalogue) == {"db", "cluster"}


def test_lambda_dir_holds_exactly_what_goes_into_the_zip() -> None:
    # The root's archive_file zips lambda/; the command zips what Python imports. They must agree.
    assert sorted(directory_sources(LAMBDA_DIR)) == sorted(installed_sources())
    assert sorted(directory_sources(LAMBDA_DIR)) == sorted(p.as_posix() for p in _files(LAMBDA_DIR))


def _files(root: Path) -> list[Path]:
    return [
        p.relative_to(root)
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith(".pyc")
    ]


def test_the_zip_needs_only_the_standard_library_and_boto3() -> None:
    allowed = set(sys.stdlib_module_names) | {"boto3", "botocore", "snapshot_copy", *ENTRY_MODULES}
    for name, path in installed_sources().items():
        if not name.endswith(".py"):
            continue
        tree = ast.parse(path.read_text(), filename=name)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                roots = [node.module.split(".")[0]]
            else:
                continue
            assert set(roots) <= allowed, f"{name} imports {roots}: the zip carries only stdlib and boto3"


def test_package_command_works_from_any_directory(tmp_path: Path) -> None:
    command = Path(sysconfig.get_path("scripts")) / "rds-snapshot-copy"
    assert command.exists(), f"{command} is missing: install the project (make installs it editable)"
    result = subprocess.run(
        [str(command), "package", "--output", "out/fn.zip", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    built = tmp_path / "out" / "fn.zip"
    assert printed["lambda_package_path"] == str(built)
    assert printed["lambda_package_hash"] == build_package(tmp_path / "again.zip").base64_sha256
    tfvars = subprocess.run(
        [str(command), "package", "--output", "fn.zip"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    assert f'lambda_package_hash = "{printed["lambda_package_hash"]}"' in tfvars


def test_every_subcommand_has_help() -> None:
    from rds_snapshot_copy.cli import parser

    top = parser()
    subcommands = next(a for a in top._actions if a.dest == "command").choices
    assert {"package", "demo", "terraformrc"} <= set(subcommands)
    for name, sub in subcommands.items():
        assert sub.description, f"{name} has no help text"
        assert sub.format_help().startswith(f"usage: rds-snapshot-copy {name}")
