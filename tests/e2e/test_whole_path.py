"""Whole path: virtual card (vpcd + pcscd) → real agent → Mosquitto → real collector → API.

The agent runs in-process with the real PC/SC back-end (so the test can press its MockFactory
buttons); the collector is ``python -m collector`` on SQLite. A wildcard subscriber records every
MQTT message. The canary citizen id (synthetic, province 99) must appear nowhere: not in MQTT
traffic, logs (the test's, the collector's, the broker's, pcscd's), the collector's database or
the agent's outbox files. Run once straight through and once with the broker restarted while
the card session is open (events wait in the outbox, then arrive).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.card.day_key_store import office_today
from agent.config import AgentConfig
from agent.runtime import Agent, build_agent
from protocols.day_keys import make_day_keys
from protocols.pseudonym import day_key, visitor_pseudonym
from simulator.card.synthetic_person import SyntheticPerson
from tests.e2e.recorder import MqttRecorder
from tests.fixtures.collector_process import ServingCollector

pytestmark = pytest.mark.slow

CANARY = "1999907070718"  # synthetic: province 99 does not exist; valid checksum
CANARY_FORMS = (CANARY, "1-9999-07070-71-8", "1 9999 07070 71 8")
DEVICE = "cm-e2e-whole-path-dol-c01"
OFFICE = "cm-e2e-whole-path-dol"
PEPPER = bytes(range(32))
SCORE = 4


def _agent_config(tmp: Path, mqtt_url: str) -> AgentConfig:
    keys = tmp / "day-keys.json"
    keys.touch(mode=0o600)
    keys.write_text(make_day_keys(PEPPER, office_today() - timedelta(days=1), 4).dumps())
    return AgentConfig(
        device={"id": DEVICE, "office": OFFICE},
        mqtt={"url": mqtt_url, "backoff_min_s": 0.2, "backoff_max_s": 1.0},
        outbox={"path": tmp / "agent" / "outbox.sqlite3", "republish_after_s": 5.0},
        session={"rating_window_s": 60.0, "min_press_interval_s": 0.5},
        panel={"pin_factory": "mock", "bounce_s": None},
        card={"backend": "pcsc", "reader": "Virtual PCD 00 00", "day_keys_path": keys},
        heartbeat={"interval_s": 2.0},
        location={"gpsd": False, "lat": 18.79, "lon": 98.98, "accuracy_m": 30.0},
    )


class RunningAgent:
    """The agent with its tick loop on a thread of the test."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        agent.start()
        self._thread = threading.Thread(target=agent.run, name="agent-run", daemon=True)
        self._thread.start()

    def press(self, score: int) -> None:
        assert self.agent.panel is not None
        pin: Any = self.agent.panel.buttons[score - 1].pin
        pin.drive_low()
        pin.drive_high()

    def stop(self) -> None:
        self.agent.request_stop()
        self._thread.join(timeout=10)
        self.agent.stop()


@pytest.fixture
def collector(tmp_path: Path, mosquitto: Any) -> Iterator[ServingCollector]:
    process = ServingCollector(tmp_path / "collector", mosquitto.url)
    try:
        process.put(
            f"/api/v1/offices/{OFFICE}",
            {"office_id": OFFICE, "name_th": "ที่ว่าการอำเภอทดสอบ", "name_en": "E2E District Office"},
        )
        process.put(f"/api/v1/devices/{DEVICE}", {"device_id": DEVICE, "office_id": OFFICE})
        yield process
    finally:
        process.stop()


def _events(db: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute(
            "SELECT seq, type, session, score, verified, body FROM events "
            "WHERE device_id = ? ORDER BY seq",
            (DEVICE,),
        ).fetchall()
    return [dict(r) | {"body": json.loads(r["body"])} for r in rows]


def _files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()]


@pytest.mark.parametrize("restart_broker", [False, True], ids=["straight", "broker-restart"])
def test_card_session_and_rating_reach_the_api_without_personal_data(  # noqa: PLR0917 (fixtures)
    tmp_path: Path,
    mosquitto: Any,
    collector: ServingCollector,
    virtual_card: Any,
    caplog: pytest.LogCaptureFixture,
    restart_broker: bool,
) -> None:
    caplog.set_level(logging.DEBUG)
    recorder = MqttRecorder(mosquitto.host, mosquitto.port)
    config = _agent_config(tmp_path, mosquitto.url)
    running = RunningAgent(build_agent(config))
    try:
        collector.wait_until(
            "device online",
            lambda: collector.get(f"/api/v1/devices/{DEVICE}")["online"],
        )
        card = virtual_card(SyntheticPerson(citizen_id=CANARY))
        started = json.loads(recorder.wait_for("/events", b'"session.started"'))
        expected_visitor = visitor_pseudonym(day_key(PEPPER, office_today()), CANARY)
        assert started["body"]["visitor"] == expected_visitor
        assert started["body"]["card_valid"] is True
        if restart_broker:
            collector.wait_until(
                "session.started acknowledged end to end",
                lambda: running.agent.outbox.acked_seq >= started["seq"],
            )
            mosquitto.stop()
        virtual_card.remove(card)
        ended_seq = started["seq"] + 1
        collector.wait_until(
            "session.ended in the outbox", lambda: running.agent.outbox.last_seq >= ended_seq
        )
        running.press(SCORE)
        if restart_broker:
            assert running.agent.outbox.depth >= 2, "events must wait in the outbox"
            mosquitto.start()
        rating_seq = ended_seq + 1
        device = collector.wait_until(
            "every event acknowledged",
            lambda: (
                (d := collector.get(f"/api/v1/devices/{DEVICE}"))["acked_seq"] >= rating_seq and d
            ),
        )
        assert device["missing_seqs"] == 0
        collector.wait_until("outbox drained", lambda: running.agent.outbox.depth == 0)
        summary = collector.get("/api/v1/ratings/summary", office_id=OFFICE)
        assert summary["total"] == 1
        assert summary["counts"] == {str(SCORE): 1}
        assert summary["verified_share"] == 1.0
    finally:
        running.stop()
        recorder.close()

    events = _events(collector.db_path)
    by_type = {e["type"]: e for e in events}
    assert [e["type"] for e in events][-3:] == ["session.started", "session.ended", "rating"]
    session = started["body"]["session"]
    assert by_type["session.started"]["body"]["visitor"] == expected_visitor
    assert by_type["session.ended"]["session"] == session
    assert by_type["session.ended"]["body"]["reason"] == "card_removed"
    assert by_type["rating"]["session"] == session
    assert (by_type["rating"]["score"], by_type["rating"]["verified"]) == (SCORE, 1)

    collector.stop()  # flushes and closes the database before its files are searched
    places: dict[str, bytes] = {
        "MQTT traffic": recorder.everything(),
        "test logs": caplog.text.encode(),
        "collector log": collector.log_path.read_bytes(),
        "broker log": mosquitto.log_path.read_bytes(),
    }
    pcscd_log = virtual_card.pcscd.log_path
    if pcscd_log.exists():  # only when this test session started pcscd (never with --apdu)
        places["pcscd log"] = pcscd_log.read_bytes()
    for path in _files_under(collector.db_path.parent) + _files_under(tmp_path / "agent"):
        places[str(path.relative_to(tmp_path))] = path.read_bytes()
    assert any("outbox" in name for name in places), "the outbox file must be searched"
    assert any(name.endswith("collector.db") for name in places)
    assert expected_visitor.encode() in places["MQTT traffic"]
    for name, data in places.items():
        for form in CANARY_FORMS:
            assert form.encode() not in data, f"the canary citizen id ({form}) leaked into {name}"
