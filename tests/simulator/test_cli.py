"""``python -m simulator``: bad options stop it with one line naming the option."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mqtt-url", "http://broker"], "--mqtt-url 'http://broker': expected mqtt://host:port"),
        (["--mqtt-url", "mqtt://127.0.0.1:1", "--start", "2026-01-01T08:00"], "--start: needs"),
        (["--mqtt-url", "mqtt://127.0.0.1:1", "--devices", "0"], "--devices: at least 1"),
        (
            ["--mqtt-url", "mqtt://127.0.0.1:1", "--token-file", "/nonexistent/token"],
            "--token-file /nonexistent/token: cannot read",
        ),
        (["--mqtt-url", "mqtt://127.0.0.1:1", "--mass", "0"], "--mass: at least 1 device"),
        (["--mqtt-url", "http://broker", "--mass", "5"], "--mqtt-url 'http://broker': expected"),
        (
            ["--mqtt-url", "mqtt://127.0.0.1:1", "--mass", "10000000"],
            "--mass 10000000: needs 10000256 file descriptors",
        ),
    ],
)
def test_bad_options_exit_2_with_one_line(args: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
