"""``agent check`` on the real card path (pcscd + vpcd + a virtual Thai ID card): reader
present, a card read, and never the citizen id in the output."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from agent.card.day_key_store import office_today
from protocols.day_keys import make_day_keys
from simulator.card.synthetic_person import SyntheticPerson
from tests.agent.agent_rig import ROOT, config_data, write_toml
from tests.fixtures.gps import free_port
from tests.fixtures.pcsc import Pcscd, VirtualCards

CANARY = "1999900000013"


SKIP = ("--skip", "broker", "--skip", "gps", "--skip", "clock")


def check(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent", "check", "--config", str(config), "--timeout", "5", *SKIP],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )


@pytest.mark.slow
def test_check_reads_an_inserted_card(
    tmp_path: Path, pcscd: Pcscd, virtual_card: VirtualCards
) -> None:
    keys = tmp_path / "day-keys.json"
    keys.write_text(make_day_keys(b"k" * 32, office_today() - timedelta(days=1), 3).dumps())
    keys.chmod(0o600)
    data = config_data(
        tmp_path,
        f"mqtt://127.0.0.1:{free_port()}",
        card={
            "backend": "pcsc",
            "reader": pcscd.reader_name(0),
            "day_keys_path": str(keys),
            "settle_delay_s": 0.05,
        },
    )
    config = write_toml(tmp_path / "agent.toml", data)
    virtual_card(SyntheticPerson(citizen_id=CANARY))
    proc = check(config)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok   reader: reader present" in proc.stdout
    assert "ok   card: card read (card_valid=True)" in proc.stdout
    assert CANARY not in proc.stdout + proc.stderr


@pytest.mark.slow
def test_check_fails_on_a_readable_by_others_key_file(tmp_path: Path, pcscd: Pcscd) -> None:
    keys = tmp_path / "day-keys.json"
    keys.write_text(make_day_keys(b"k" * 32, office_today(), 2).dumps())
    keys.chmod(0o644)
    data = config_data(
        tmp_path,
        f"mqtt://127.0.0.1:{free_port()}",
        card={"backend": "pcsc", "reader": pcscd.reader_name(0), "day_keys_path": str(keys)},
    )
    proc = check(write_toml(tmp_path / "agent.toml", data))
    assert proc.returncode == 1
    assert "FAIL reader: card reader: day-key file" in proc.stdout
    assert "0644" in proc.stdout
