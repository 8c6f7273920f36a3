"""The function package: a deterministic zip of the functions' entry files and their core package.

The same sources always give the same bytes (sorted entries, fixed timestamps and permissions, no
bytecode caches), so its base64 SHA-256 is a stable `source_code_hash` and equals the `CodeSha256`
that Lambda reports for the deployed function. It is built from wherever Python imports the functions
from (the repository's lambda/ in a development install, site-packages otherwise), so it works from
any directory:

    rds-snapshot-copy package --output build/lambda.zip
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

# What goes into the zip: the functions' entry files (their handlers are `<module>.lambda_handler`)
# and the core package they share. Nothing else: the zip is the standard library plus the runtime's boto3.
ENTRY_MODULES = ("copy_snapshot", "prune_snapshots", "reconcile_snapshots", "share_snapshot")
CORE_PACKAGE = "snapshot_copy"

# 1980-01-01 00:00:00 is the earliest timestamp a zip entry can hold.
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
EXCLUDED_DIRS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"})
EXCLUDED_SUFFIXES = (".pyc", ".pyo")


@dataclass(frozen=True)
class Package:
    path: Path
    base64_sha256: str

    def __str__(self) -> str:
        return f"{self.path} {self.base64_sha256}"


def _origin(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise FileNotFoundError(f"cannot find the module {module!r}: install this project (pip install .)")
    return Path(spec.origin)


def installed_sources() -> dict[str, Path]:
    """{name in the zip: file} for the entry modules and the core package, as Python imports them."""
    sources = {f"{module}.py": _origin(module) for module in ENTRY_MODULES}
    core = _origin(CORE_PACKAGE).parent
    for relative in _walk(core):
        sources[f"{CORE_PACKAGE}/{relative.as_posix()}"] = core / relative
    return dict(sorted(sources.items()))


def directory_sources(source_dir: Path) -> dict[str, Path]:
    """{name in the zip: file} for every file below `source_dir` (what `archive_file` of it would take)."""
    return {relative.as_posix(): source_dir / relative for relative in _walk(source_dir)}


def _walk(root: Path) -> list[Path]:
    found = []
    for directory, dirs, files in os.walk(root, followlinks=True):
        dirs[:] = [d for d in dirs if d not in EXCLUDED_DIRS and not d.startswith(".")]
        for name in files:
            if name.endswith(EXCLUDED_SUFFIXES) or name.startswith("."):
                continue
            found.append((Path(directory) / name).relative_to(root))
    return sorted(found, key=lambda p: p.as_posix())


def base64_sha256(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes()).digest()
    return base64.b64encode(digest).decode("ascii")


def build_package(output: Path | str, source_dir: Path | None = None) -> Package:
    """Write the zip to `output` (atomically) and return its path and base64 SHA-256. Without
    `source_dir`, the zip holds the entry modules and the core package as Python imports them."""
    output = Path(output).resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    files = installed_sources() if source_dir is None else directory_sources(Path(source_dir))
    if not files:
        raise FileNotFoundError(f"no files to package in {source_dir}")
    fd, tmp_name = tempfile.mkstemp(prefix=".lambda-", suffix=".zip", dir=output.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp_name, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for name, path in files.items():
                info = zipfile.ZipInfo(name, date_time=FIXED_DATE_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # Unix, so that the permissions below are read
                info.external_attr = (0o100000 | FILE_MODE) << 16
                archive.writestr(info, path.read_bytes(), compresslevel=9)
        os.replace(tmp_name, output)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return Package(output, base64_sha256(output))
