"""The provider process: hashicorp/archive's `archive_file` data source, zip of a `source_dir` only.

Terraform starts this (through the executable that `install` writes) and speaks go-plugin + tfplugin6
to it; the PyPI package `tf` does the protocol. The zip is the project's deterministic package
(rds_snapshot_copy.package.build_package) of the files that the real provider would take
(selection.select_files), so its hashes are those of `rds-snapshot-copy package` where the files agree.
"""

from __future__ import annotations

import base64
import hashlib
import tempfile
import traceback
from pathlib import Path
from typing import Any

from tf import runner
from tf.iface import Config, DataSource, Provider, ReadDataContext, State
from tf.schema import Attribute, Schema
from tf.types import Bool, Number, Set, String, Unknown
from tf.utils import Diagnostics

from .selection import ArchiveError, select_files

PROVIDER_ADDRESS = "registry.terraform.io/hashicorp/archive"

# Inputs of the real data source that this stand-in refuses (with an error naming them) when set.
UNSUPPORTED = ("source_file", "source_content", "source_content_filename", "output_file_mode")
COMPUTED = (
    "output_size",
    "output_md5",
    "output_sha",
    "output_sha256",
    "output_base64sha256",
    "output_sha512",
    "output_base64sha512",
    "id",
)


def _is_set(value: Any) -> bool:
    return value is not None  # Unknown counts: whatever it turns out to be, it is set


class ArchiveFile(DataSource):
    def __init__(self, provider: ArchiveProvider) -> None:
        self.provider = provider

    @classmethod
    def get_name(cls) -> str:
        return "file"

    @classmethod
    def get_schema(cls) -> Schema:
        return Schema(
            description="Offline stand-in for hashicorp/archive: a deterministic zip of a directory.",
            attributes=[
                Attribute("type", String(), required=True),
                Attribute("source_dir", String(), optional=True),
                Attribute("excludes", Set(String()), optional=True),
                Attribute("exclude_symlink_directories", Bool(), optional=True),
                Attribute("output_path", String(), required=True),
                *(Attribute(name, String(), optional=True) for name in UNSUPPORTED),
                Attribute("output_size", Number(), computed=True),
                *(Attribute(name, String(), computed=True) for name in COMPUTED if name != "output_size"),
            ],
        )

    def validate(self, diags: Diagnostics, type_name: str, config: Config) -> None:
        super().validate(diags, type_name, config)
        _check_config(diags, config)

    def read(self, ctx: ReadDataContext, config: Config) -> State | None:
        diags = ctx.diagnostics
        _check_config(diags, config)
        if diags.has_errors():
            return None
        try:
            return {**config, **archive(config)}
        except ArchiveError as exc:
            diags.add_error("Archive creation error", f"error creating archive: {exc}")
        except Exception as exc:
            diags.add_error("Archive creation error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
        return None


def _check_config(diags: Diagnostics, config: Config) -> None:
    kind = config.get("type")
    if kind is not Unknown and kind is not None and kind != "zip":
        diags.add_error(
            f'archive_file type "{kind}" is not supported by the offline stand-in',
            'Only type = "zip" is implemented (rds_snapshot_copy.demo.offline_archive).',
            path=["type"],
        )
    for name in UNSUPPORTED:
        if _is_set(config.get(name)):
            diags.add_error(
                f"archive_file.{name} is not supported by the offline stand-in",
                "This stand-in for hashicorp/archive (rds_snapshot_copy.demo.offline_archive) only zips a "
                "source_dir, with excludes, as the project's packager does.",
                path=[name],
            )
    if config.get("source_dir") is None:
        diags.add_error(
            "archive_file.source_dir is required by the offline stand-in",
            "This stand-in for hashicorp/archive only zips a source_dir.",
            path=["source_dir"],
        )


def archive(config: Config) -> dict[str, Any]:
    """Write the zip that `config` asks for and return the computed attributes."""
    from rds_snapshot_copy import package

    files = select_files(
        Path(config["source_dir"]),
        config.get("excludes") or (),
        bool(config.get("exclude_symlink_directories")),
    )
    output = Path(config["output_path"])
    # The packager zips a directory, so lay the selection out as one: a symlink per file, under its name in
    # the zip. It filters on its own too (dot-names, __pycache__, *.pyc); a selection that it would cut
    # cannot give the same zip as archive_file, so say so rather than zip something else.
    with tempfile.TemporaryDirectory(prefix="archive-stand-in-") as staging_name:
        staging = Path(staging_name)
        for name, path in files.items():
            link = staging / name
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(Path(path).resolve())
        taken = set(package.directory_sources(staging))
        dropped = sorted(set(files) - taken)
        if dropped:
            raise ArchiveError(
                "the project's packager (rds_snapshot_copy.package) leaves out files that these excludes keep: "
                + ", ".join(dropped)
                + " (exclude them too)"
            )
        built = package.build_package(output, source_dir=staging)
    data = built.path.read_bytes()
    sha256 = hashlib.sha256(data).digest()
    sha512 = hashlib.sha512(data).digest()
    sha1 = hashlib.sha1(data).hexdigest()  # the provider's output_sha is SHA-1
    return {
        "output_size": len(data),
        "output_md5": hashlib.md5(data).hexdigest(),
        "output_sha": sha1,
        "output_sha256": sha256.hex(),
        "output_base64sha256": base64.b64encode(sha256).decode("ascii"),
        "output_sha512": sha512.hex(),
        "output_base64sha512": base64.b64encode(sha512).decode("ascii"),
        "id": sha1,
    }


class ArchiveProvider(Provider):
    def get_model_prefix(self) -> str:
        return "archive_"

    def full_name(self) -> str:
        return PROVIDER_ADDRESS

    def get_provider_schema(self, diags: Diagnostics) -> Schema:
        return Schema(attributes=[])

    def validate_config(self, diags: Diagnostics, config: Config) -> None:
        return None

    def configure_provider(self, diags: Diagnostics, config: Config) -> None:
        return None

    def get_data_sources(self) -> list[type[DataSource]]:
        return [ArchiveFile]

    def get_resources(self) -> list:
        return []


def main() -> None:
    # go-plugin reads the handshake line from stdout: nothing else may be printed there before it.
    runner.run_provider(ArchiveProvider(), ["terraform-provider-archive"])
