"""`rds-snapshot-copy emulator`: started as a user starts it, its printed override and environment point at a
working emulator, and Ctrl-C stops it cleanly: exit 0, no server left, the port free again."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from rds_snapshot_copy.demo.emulator import PROVIDER_ENDPOINTS
from rds_snapshot_copy.demo.emulator_command import OVERRIDE_BEGIN, OVERRIDE_END

COMMAND = [sys.executable, "-m", "rds_snapshot_copy.cli", "emulator"]


def _read_until(process: subprocess.Popen[str], marker: str, timeout: float = 60) -> list[str]:
    """stdout's lines up to the one that starts with `marker` (the command prints it last)."""
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith(marker):
            return lines
    raise AssertionError(f"no {marker!r} in the output:\n" + "\n".join(lines))


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_emulator_command_serves_until_ctrl_c(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    override_file = tmp_path / "emulator_override.tf"
    process = subprocess.Popen(
        [*COMMAND, "--write-override", str(override_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        lines = _read_until(process, "export TF_CLI_CONFIG_FILE=")
        output = "\n".join(lines)
        header = re.search(r"moto_server on (http://127\.0\.0\.1:(\d+)) \(pid (\d+)\)", output)
        assert header, output
        endpoint, port, server_pid = header.group(1), int(header.group(2)), int(header.group(3))

        # The override: both aliases of examples/complete, every endpoint at the emulator, fake credentials;
        # the same text as the file it wrote.
        override = output.split(OVERRIDE_BEGIN + "\n", 1)[1].split("\n" + OVERRIDE_END, 1)[0]
        assert override.strip() == override_file.read_text().strip()
        assert 'alias = "source"' in override and 'alias = "destination"' in override
        assert override.count(f'"{endpoint}"') == 2 * len(PROVIDER_ENDPOINTS)
        assert 'access_key                  = "test"' in override

        # The environment, as `export` lines a shell can eval; with it, an SDK call reaches the emulator.
        exported = dict(re.findall(r"^export (\w+)=(\S+)$", output, re.M))
        assert exported["AWS_ENDPOINT_URL"] == endpoint
        assert Path(exported["TF_CLI_CONFIG_FILE"]).is_file()
        sqs = boto3.client(
            "sqs",
            region_name="eu-west-1",
            endpoint_url=exported["AWS_ENDPOINT_URL"],
            aws_access_key_id=exported["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=exported["AWS_SECRET_ACCESS_KEY"],
        )
        url = sqs.create_queue(QueueName="emulator-command-test")["QueueUrl"]
        assert url in sqs.list_queues()["QueueUrls"]

        os.killpg(process.pid, signal.SIGINT)  # as the terminal's Ctrl-C: the whole foreground group
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 0, stderr
    assert "emulator stopped" in stderr, stderr
    assert not Path(f"/proc/{server_pid}").exists() or _is_zombie(server_pid), f"moto_server {server_pid} still runs"
    assert _port_free(port), f"port {port} is still taken"


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


def test_emulator_command_refuses_a_taken_port() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*COMMAND, "--port", str(port)], capture_output=True, text=True, timeout=60, check=False
        )
    assert result.returncode == 2, result.stderr
    assert f"127.0.0.1:{port} is in use" in result.stderr
    assert result.stdout == ""
