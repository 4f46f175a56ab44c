"""``python -m agent check``: one line per check, non-zero exit when one fails."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.agent.agent_rig import ROOT, config_data, write_toml
from tests.fixtures.broker import MosquittoBroker
from tests.fixtures.gps import GpsFake, free_port


def check(config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent", "check", "--config", str(config), "--timeout", "8", *extra],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )


def lines(proc: subprocess.CompletedProcess[str]) -> dict[str, str]:
    out = {}
    for line in proc.stdout.strip().splitlines():
        status, rest = line.split(" ", 1)
        name, detail = rest.strip().split(": ", 1)
        out[name] = f"{status} {detail}"
    return out


@pytest.mark.slow
def test_check_all_good(tmp_path: Path, mosquitto: MosquittoBroker, gpsd_mt3339: GpsFake) -> None:
    data = config_data(
        tmp_path,
        mosquitto.url,
        location={"gpsd": True, "gpsd_port": gpsd_mt3339.port},
    )
    config = write_toml(tmp_path / "agent.toml", data)
    proc = check(config, "--skip", "clock")
    got = lines(proc)
    assert list(got) == [
        "config", "reader", "card", "broker", "gps", "leds", "clock", "officer_view", "printer"
    ]  # fmt: skip
    assert got["officer_view"].startswith("ok off")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert got["broker"].startswith("ok connected to 127.0.0.1")
    assert got["gps"].startswith("ok 3d fix")
    assert got["reader"].startswith("ok no reader configured")
    assert got["leds"].startswith("ok 5 rating LEDs")
    assert got["clock"] == "skip skipped on request"


@pytest.mark.slow
def test_check_reports_each_failure(tmp_path: Path) -> None:
    data = config_data(
        tmp_path,
        f"mqtt://127.0.0.1:{free_port()}",
        mqtt={"connect_timeout_s": 2},
        location={"gpsd": True, "gpsd_port": free_port()},
    )
    config = write_toml(tmp_path / "agent.toml", data)
    proc = check(config, "--timeout", "1")
    got = lines(proc)
    assert proc.returncode == 1
    assert got["config"].startswith("ok ")
    assert got["broker"].startswith("FAIL cannot connect to 127.0.0.1")
    assert got["gps"].startswith("FAIL no good fix within 1 s (gpsd: absent)")
    # This machine's clock is not NTP-disciplined: reported honestly, not assumed.
    assert got["clock"].split()[0] in ("ok", "FAIL")
    assert proc.stderr == ""


def test_check_bad_config_is_one_failing_line(tmp_path: Path) -> None:
    config = write_toml(tmp_path / "agent.toml", {"device": {"id": "X"}})
    proc = check(config)
    assert proc.returncode == 1
    assert proc.stdout.count("\n") == 1
    assert proc.stdout.startswith(f"FAIL config: config {config}: field device.id")
