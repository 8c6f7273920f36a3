"""The offline stand-in for hashicorp/archive (rds_snapshot_copy.demo.offline_archive): its excludes match as
archive >= 2.4's do, Terraform installs and runs it from a local mirror, its zip is the project's own
package of lambda/, and with it the module (at the repository's root) initialises and validates with no registry."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from rds_snapshot_copy.demo import offline_archive
from rds_snapshot_copy.demo.offline_archive.selection import ArchiveError, matches, select_files
from rds_snapshot_copy.package import build_package, directory_sources
from rds_snapshot_copy.terraform_cli import find_mirror, terraform_binary, terraform_env

REPO = Path(__file__).resolve().parents[1]
LAMBDA_DIR = REPO / "lambda"


def root_excludes() -> list[str]:
    """The excludes of the module's `data "archive_file" "lambda"`, as written in the root's *.tf."""
    text = "\n".join(path.read_text() for path in sorted(REPO.glob("*.tf")))
    block = re.search(r'data "archive_file" "lambda" \{(.*?)\n\}', text, re.S)
    assert block, "no data.archive_file.lambda in the root's *.tf"
    body = "\n".join(line.split("#", 1)[0] for line in block.group(1).splitlines())
    listed = re.search(r"excludes\s*=\s*\[(.*?)\]", body, re.S)
    assert listed, "data.archive_file.lambda has no excludes"
    return [json.loads(f'"{raw}"') for raw in re.findall(r'"((?:[^"\\]|\\.)*)"', listed.group(1))]


# ---------------------------------------------------------------------------------------------------
# The excludes, as doublestar v4 PathMatch (archive >= 2.4) matches them, relative to source_dir.


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("**/__pycache__/**", "__pycache__", True),  # `**/` matches the top level; `/**` the dir itself
        ("**/__pycache__/**", "snapshot_copy/__pycache__", True),
        ("**/__pycache__/**", "snapshot_copy/__pycache__/a.cpython-311.pyc", True),
        ("**/__pycache__/**", "snapshot_copy/not__pycache__", False),
        ("**/.?*", ".pytest_cache", True),
        ("**/.?*", "snapshot_copy/.hidden", True),
        ("**/.?*", ".", False),  # the top of the walk
        ("**/.?*", "snapshot_copy/a.py", False),
        (".*", ".", True),  # which is why main.tf says ".?*"
        ("**/*.pyc", "a.pyc", True),
        ("**/*.pyc", "a/b/c.pyc", True),
        ("**/*.pyc", "a/b/c.pyco", False),
        ("*.pyc", "a/b.pyc", False),  # `*` stops at `/`
        ("a/*", "a/b/c", False),
        ("a/**", "a", True),
        ("a/**", "a/b/c", True),
        ("a/**/c", "a/c", True),
        ("a/**/c", "a/x/y/c", True),
        ("**", ".", True),
        ("**.py", "a/b.py", False),  # not a whole segment: a plain star
        ("**.py", "b.py", True),
        ("?.py", "a.py", True),
        ("?.py", "ab.py", False),
        ("[a-c].py", "b.py", True),
        ("[!a-c].py", "b.py", False),
        ("{foo,bar}/*.py", "bar/x.py", True),
        ("{foo,b{a,e}r}.py", "ber.py", True),
        ("\\*.py", "*.py", True),
        ("\\*.py", "a.py", False),
    ],
)
def test_excludes_match_as_doublestar_does(pattern: str, path: str, expected: bool) -> None:
    assert matches(pattern, path) is expected


def test_selection_walks_as_archive_file_does(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "pkg" / "__pycache__").mkdir(parents=True)
    (src / "pkg" / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"x")
    (src / "pkg" / "m.py").write_text("m")
    (src / "top.py").write_text("t")
    (src / ".env").write_text("secret")
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "deep" / "d.txt").write_text("d")
    (outside / "f.json").write_text("{}")
    (src / "linked.json").symlink_to(outside / "f.json")
    (src / "linked_dir").symlink_to(outside)

    selected = select_files(src, ["**/__pycache__/**", "**/.?*"])
    assert list(selected) == ["linked.json", "linked_dir/deep/d.txt", "linked_dir/f.json", "pkg/m.py", "top.py"]
    assert selected["linked.json"].read_text() == "{}"  # symlinks followed
    # Excludes see a symlinked directory's files under the symlink's name.
    assert "linked_dir/f.json" not in select_files(src, ["linked_dir/*.json"])
    assert not any(n.startswith("linked_dir/") for n in select_files(src, [], exclude_symlink_directories=True))
    with pytest.raises(ArchiveError, match="would be empty"):
        select_files(src, [".*"])  # matches ".", the top of the walk
    with pytest.raises(ArchiveError, match="would be empty"):
        select_files(src, ["**/*"])
    with pytest.raises(ArchiveError, match="missing directory"):
        select_files(tmp_path / "nope", [])


def test_root_excludes_select_what_the_packager_packages() -> None:
    # The same file list as `rds-snapshot-copy package` (and so, below, the same zip).
    assert list(select_files(LAMBDA_DIR, root_excludes())) == list(directory_sources(LAMBDA_DIR))


def test_a_selection_the_packager_would_cut_is_refused(tmp_path: Path) -> None:
    from rds_snapshot_copy.demo.offline_archive.provider import archive

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("a")
    (tmp_path / "src" / ".env").write_text("e")
    config = {"source_dir": str(tmp_path / "src"), "output_path": str(tmp_path / "out.zip"), "excludes": None}
    with pytest.raises(ArchiveError, match=r"leaves out files that these excludes keep: \.env"):
        archive(config)
    config["excludes"] = ["**/.?*"]
    assert archive(config)["output_size"] == (tmp_path / "out.zip").stat().st_size


# ---------------------------------------------------------------------------------------------------
# Through Terraform: init from the local mirror, plan/apply, validate.


@pytest.fixture(scope="module")
def cli_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert terraform_binary(), "the terraform CLI is not on PATH: install terraform >= 1.9"
    return offline_archive.prepare(tmp_path_factory.mktemp("archive-provider"), sys.executable)


def terraform(cli_config: Path, cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [terraform_binary(), *args, "-no-color"],
        cwd=cwd,
        env=terraform_env(cli_config=cli_config),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if check:
        assert result.returncode == 0, f"terraform {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def archive_config(data_source: str, outputs: str = "") -> str:
    return (
        'terraform {\n  required_providers {\n    archive = {\n      source  = "hashicorp/archive"\n'
        '      version = ">= 2.4"\n    }\n  }\n}\n\n' + data_source + outputs
    )


def test_install_lays_out_a_mirror_entry(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    executable = offline_archive.install(mirror, sys.executable)
    relative = executable.relative_to(mirror).as_posix()
    assert relative == (
        f"registry.terraform.io/hashicorp/archive/2.7.1/{offline_archive.terraform_platform()}"
        "/terraform-provider-archive_v2.7.1"
    )
    assert executable.stat().st_mode & 0o111
    # Installing again leaves the file alone (a terraform of another process may be running it).
    inode = executable.stat().st_ino
    assert offline_archive.install(mirror, sys.executable) == executable and executable.stat().st_ino == inode
    assert [p.name for p in executable.parent.iterdir()] == [executable.name]

    # prepare's configuration: hashicorp/archive from the stand-in's mirror only (never direct), no plugin cache.
    text = offline_archive.prepare(tmp_path).read_text()
    assert "plugin_cache_dir" not in text
    assert f'path    = "{mirror.resolve()}"' in text
    assert 'include = ["registry.terraform.io/hashicorp/archive"]' in text
    direct = re.search(r"direct \{\s*exclude = \[(.*?)\]", text)
    assert direct and '"registry.terraform.io/hashicorp/archive"' in direct.group(1), text


def test_apply_zips_lambda_as_the_packager_does(cli_config: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    excludes = ", ".join(json.dumps(p) for p in root_excludes())
    attributes = [
        "output_path",
        "output_size",
        "output_md5",
        "output_sha",
        "output_sha256",
        "output_base64sha256",
        "output_sha512",
        "output_base64sha512",
        "id",
    ]
    (work / "main.tf").write_text(
        archive_config(
            'data "archive_file" "lambda" {\n  type        = "zip"\n'
            f"  source_dir  = {json.dumps(str(LAMBDA_DIR))}\n"
            '  output_path = "${path.module}/build/lambda.zip"\n'
            f"  excludes    = [{excludes}]\n}}\n\n",
            "".join(f'output "{a}" {{\n  value = data.archive_file.lambda.{a}\n}}\n' for a in attributes),
        )
    )
    terraform(cli_config, work, "init", "-input=false")
    lock = (work / ".terraform.lock.hcl").read_text()
    assert 'provider "registry.terraform.io/hashicorp/archive"' in lock and 'version     = "2.7.1"' in lock
    terraform(cli_config, work, "apply", "-auto-approve", "-input=false")
    outputs = {k: v["value"] for k, v in json.loads(terraform(cli_config, work, "output", "-json").stdout).items()}

    expected = build_package(tmp_path / "reference" / "lambda.zip", source_dir=LAMBDA_DIR)
    assert outputs["output_base64sha256"] == expected.base64_sha256
    produced = work / "build" / "lambda.zip"
    data = produced.read_bytes()
    assert data == expected.path.read_bytes()
    assert outputs["output_path"] == "./build/lambda.zip"
    assert outputs["output_size"] == len(data)
    assert outputs["output_md5"] == hashlib.md5(data).hexdigest()
    assert outputs["output_sha"] == outputs["id"] == hashlib.sha1(data).hexdigest()
    assert outputs["output_sha256"] == hashlib.sha256(data).hexdigest()
    assert outputs["output_sha512"] == hashlib.sha512(data).hexdigest()
    assert outputs["output_base64sha512"] == base64.b64encode(hashlib.sha512(data).digest()).decode()
    with zipfile.ZipFile(produced) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == list(directory_sources(LAMBDA_DIR))
        assert "snapshot_copy/snapshot_kinds.json" in archive.namelist()


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ('source_file = "x.py"', "archive_file.source_file is not supported by the offline stand-in"),
        ('source_content = "x"\n  source_content_filename = "x.py"', "source_content is not supported"),
        ('type = "tgz"', 'archive_file type "tgz" is not supported'),
    ],
)
def test_what_the_stand_in_does_not_do_fails_clearly(
    cli_config: Path, tmp_path: Path, argument: str, message: str
) -> None:
    lines = {"type": 'type = "zip"', "source_dir": f"source_dir = {json.dumps(str(LAMBDA_DIR))}"}
    if argument.startswith("type"):
        lines["type"] = argument
    else:
        lines["extra"] = argument
    body = "\n  ".join([*lines.values(), 'output_path = "${path.module}/out.zip"'])
    (tmp_path / "main.tf").write_text(archive_config(f'data "archive_file" "x" {{\n  {body}\n}}\n'))
    terraform(cli_config, tmp_path, "init", "-input=false")
    result = terraform(cli_config, tmp_path, "plan", "-input=false", check=False)
    assert result.returncode != 0
    assert message in re.sub(r"\s*│\s*", " ", result.stderr), result.stderr
    assert not (tmp_path / "out.zip").exists()


_COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv*",
    ".terraform",
    ".terraform.lock.hcl",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "node_modules",
    "build",
    "dist",
    "*.tfstate",
    "*.tfstate.*",
    "*.tfplan",
)


def test_the_module_initialises_and_validates_offline(cli_config: Path, tmp_path: Path) -> None:
    """examples/complete, which calls the module at the repository's root (`source = "../../"`), in a copy."""
    assert find_mirror(), "no local provider mirror with hashicorp/aws (TF_PROVIDER_MIRROR, /opt/tf-plugins)"
    root = tmp_path / "root"
    shutil.copytree(REPO, root, ignore=_COPY_IGNORE)
    stack = root / "examples" / "complete"
    terraform(cli_config, stack, "init", "-backend=false", "-input=false")
    lock = (stack / ".terraform.lock.hcl").read_text()
    assert 'provider "registry.terraform.io/hashicorp/archive"' in lock
    assert 'provider "registry.terraform.io/hashicorp/aws"' in lock
    result = json.loads(terraform(cli_config, stack, "validate", "-json").stdout)
    assert result["valid"] and result["error_count"] == 0, json.dumps(result["diagnostics"], indent=2)
