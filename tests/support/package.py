"""A deterministic zip of `lambda/`: the function package the demo and the tests deploy.

The same sources always give the same bytes (sorted entries, fixed timestamps and permissions, no
bytecode caches), so its base64 SHA-256 is a stable `source_code_hash` and equals the `CodeSha256`
that Lambda reports for the deployed function.

    python -m tests.support.package --output build/lambda.zip
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
LAMBDA_DIR = REPO_ROOT / "lambda"

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


def package_files(source_dir: Path = LAMBDA_DIR) -> list[Path]:
    """The files that go into the package, relative to `source_dir`, in archive order."""
    found = []
    for root, dirs, files in os.walk(source_dir):
        dirs[:] = [d for d in dirs if d not in EXCLUDED_DIRS and not d.startswith(".")]
        for name in files:
            if name.endswith(EXCLUDED_SUFFIXES) or name.startswith("."):
                continue
            found.append((Path(root) / name).relative_to(source_dir))
    return sorted(found, key=lambda p: p.as_posix())


def base64_sha256(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes()).digest()
    return base64.b64encode(digest).decode("ascii")


def build_package(output: Path | str, source_dir: Path = LAMBDA_DIR) -> Package:
    """Write the zip of `source_dir` to `output` (atomically) and return its path and base64 SHA-256."""
    output = Path(output).resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    files = package_files(source_dir)
    if not files:
        raise FileNotFoundError(f"no files to package in {source_dir}")
    fd, tmp_name = tempfile.mkstemp(prefix=".lambda-", suffix=".zip", dir=output.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp_name, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for relative in files:
                info = zipfile.ZipInfo(relative.as_posix(), date_time=FIXED_DATE_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # Unix, so that the permissions below are read
                info.external_attr = (0o100000 | FILE_MODE) << 16
                archive.writestr(info, (source_dir / relative).read_bytes(), compresslevel=9)
        os.replace(tmp_name, output)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return Package(output, base64_sha256(output))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.package",
        description="Build the deterministic function package (zip of lambda/) and print its path and base64 SHA-256.",
    )
    parser.add_argument("--output", default="build/lambda.zip", help="where to write the zip (default: %(default)s)")
    parser.add_argument("--source", default=str(LAMBDA_DIR), help="directory to package (default: lambda/)")
    args = parser.parse_args(argv)
    package = build_package(Path(args.output), Path(args.source))
    print(f"lambda_package_path = {str(package.path)!r}".replace("'", '"'))
    print(f'lambda_package_hash = "{package.base64_sha256}"')
    return 0


if __name__ == "__main__":
    sys.exit(main())
