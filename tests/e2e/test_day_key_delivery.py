"""cf2 end to end: the collector (holding the pepper) delivers the office's day keys over the
device's ``commands`` topic to a real agent, which stores them (0600), answers ``command.result``,
and then gives a card read through pcscd + vpcd the pseudonym the central side computes.

The key travels only inside its own device's command; the canary citizen id and the day keys
appear in no log, no database and no other MQTT message.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.card.day_key_store import office_today
from agent.config import AgentConfig
from agent.runtime import build_agent
from protocols.pseudonym import cf2_day_key, cf2_visitor_pseudonym
from simulator.card.synthetic_person import SyntheticPerson
from tests.e2e.recorder import MqttRecorder
from tests.e2e.test_whole_path import RunningAgent
from tests.fixtures.collector_process import ServingCollector

pytestmark = pytest.mark.slow

CANARY = "1999907070718"  # synthetic: province 99 does not exist; valid checksum
DEVICE = "cm-e2e-cf2-dol-c01"
OFFICE = "cm-e2e-cf2-dol"
PEPPER = bytes(range(100, 132))


def _deliveries(db: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute(
            "SELECT * FROM day_key_deliveries WHERE device_id = ? ORDER BY day", (DEVICE,)
        ).fetchall()
    return [dict(r) for r in rows]


def _key_file_days(path: Path) -> list[str]:
    if not path.exists():
        return []
    document = json.loads(path.read_text())
    assert (document["scheme"], document["office"]) == ("cf2", OFFICE)
    return sorted(document["keys"])


def test_collector_delivers_cf2_keys_and_the_card_read_uses_them(
    tmp_path: Path, mosquitto: Any, virtual_card: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    pepper = tmp_path / "pepper"
    pepper.write_bytes(PEPPER.hex().encode())
    os.chmod(pepper, 0o600)
    recorder = MqttRecorder(mosquitto.host, mosquitto.port)
    collector = ServingCollector(
        tmp_path / "collector",
        mosquitto.url,
        CF_PEPPER_FILE=str(pepper),
        CF_DAY_KEY_INTERVAL_S="0.5",
        CF_DAY_KEY_RESEND_S="2",
    )
    keys = tmp_path / "agent" / "day-keys.json"  # a new device: no key file at all yet
    keys.parent.mkdir()
    config = AgentConfig(
        device={"id": DEVICE, "office": OFFICE},
        mqtt={"url": mosquitto.url, "backoff_min_s": 0.2, "backoff_max_s": 1.0},
        outbox={"path": tmp_path / "agent" / "outbox.sqlite3", "republish_after_s": 5.0},
        panel={"pin_factory": "mock", "bounce_s": None},
        card={"backend": "pcsc", "reader": "Virtual PCD 00 00", "day_keys_path": keys},
        heartbeat={"interval_s": 2.0},
        location={"gpsd": False},
    )
    running = RunningAgent(build_agent(config))
    today = office_today()
    days = [today.isoformat(), (today + timedelta(days=1)).isoformat()]
    try:
        collector.put(
            f"/api/v1/offices/{OFFICE}",
            {"office_id": OFFICE, "name_th": "ที่ว่าการอำเภอทดสอบ", "name_en": "E2E cf2 Office"},
        )
        collector.put(f"/api/v1/devices/{DEVICE}", {"device_id": DEVICE, "office_id": OFFICE})
        collector.wait_until(
            "today's and tomorrow's keys stored", lambda: _key_file_days(keys) == days
        )
        assert stat.S_IMODE(keys.stat().st_mode) == 0o600
        delivered = collector.wait_until(
            "both deliveries acknowledged",
            lambda: (
                (rows := _deliveries(collector.db_path))
                and len(rows) == 2
                and all(r["acked_ms"] is not None for r in rows)
                and rows
            ),
        )
        assert [(r["day"], r["scheme"], r["office_id"]) for r in delivered] == [
            (days[0], "cf2", OFFICE),
            (days[1], "cf2", OFFICE),
        ]
        commands = collector.get(f"/api/v1/devices/{DEVICE}/commands")["items"]
        assert {c["type"] for c in commands} == {"day_key.set"}
        assert all(c["result"]["ok"] for c in commands if c["result"] is not None)

        card = virtual_card(SyntheticPerson(citizen_id=CANARY))
        started = json.loads(recorder.wait_for("/events", b'"session.started"'))
        key_today = cf2_day_key(PEPPER, OFFICE, today)
        assert started["body"]["visitor"] == cf2_visitor_pseudonym(key_today, CANARY)
        virtual_card.remove(card)
        collector.wait_until(
            "session.started stored",
            lambda: running.agent.outbox.acked_seq >= started["seq"],
        )
    finally:
        running.stop()
        recorder.close()
        collector.stop()

    secrets = {
        "canary": CANARY.encode(),
        **{
            f"key {d}": cf2_day_key(PEPPER, OFFICE, today + timedelta(n)).hex().encode()
            for n, d in enumerate(days)
        },
        "pepper": PEPPER.hex().encode(),
    }
    own_commands = f"cf/v1/devices/{DEVICE}/commands"
    places: dict[str, bytes] = {
        "MQTT traffic outside the device's commands": b"".join(
            m.payload for m in recorder.messages if m.topic != own_commands
        ),
        "test logs": caplog.text.encode(),
        "collector log": collector.log_path.read_bytes(),
        "broker log": mosquitto.log_path.read_bytes(),
    }
    for path in (tmp_path / "collector").rglob("*"):
        if path.is_file():
            places[str(path.relative_to(tmp_path))] = path.read_bytes()
    for path in (tmp_path / "agent").glob("outbox*"):
        places[str(path.relative_to(tmp_path))] = path.read_bytes()
    assert any(name.endswith("collector.db") for name in places)
    for name, data in places.items():
        for what, secret in secrets.items():
            assert secret not in data, f"the {what} leaked into {name}"
    commands = b"".join(m.payload for m in recorder.messages if m.topic == own_commands)
    assert secrets[f"key {days[1]}"] in commands  # ...where it is meant to travel
