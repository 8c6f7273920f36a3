"""`rds-snapshot-copy terraformrc` writes one CLI configuration and reuses it: no directory left per call."""

from __future__ import annotations

from pathlib import Path

import pytest

from rds_snapshot_copy import cli, terraform_cli


def test_repeated_calls_leave_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(terraform_cli, "CONFIG_DIR", tmp_path / "cache", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    printed = set()
    for _ in range(5):
        terraform_cli.cli_config_file.cache_clear()
        assert cli.main(["terraformrc"]) == 0
        printed.add(capsys.readouterr().out.strip())
    assert len(printed) == 1, printed
    path = Path(printed.pop())
    assert path.is_file() and "provider_installation" in path.read_text()
    # Nothing in the temporary directory, and one file (no leftovers of the atomic write) beside the config.
    assert list((tmp_path / "tmp").iterdir()) == []
    assert [p.name for p in path.parent.iterdir()] == [path.name]
