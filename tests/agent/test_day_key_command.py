"""``day_key.set`` over a real Mosquitto to an in-process agent: stored atomically or refused
with a reason (expired, another office, not today/tomorrow), the key never in a log line."""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from agent.card.day_key_store import office_today
from agent.config import AgentConfig
from protocols import (
    CommandResult,
    DayKeySet,
    DayKeySetBody,
    encode,
    new_message_id,
    now,
)
from protocols.day_keys import make_day_keys
from protocols.pseudonym import cf2_day_key
from tests.agent.agent_rig import DEVICE, InProcessAgent, config_data
from tests.agent.collector_double import CollectorDouble
from tests.agent.test_commands_telemetry import results, send
from tests.fixtures.broker import MosquittoBroker

OFFICE = "cm-agent-cf2-dol"
PEPPER = bytes(range(7, 39))


def _command(day: date, *, office: str = OFFICE, expires_in_s: float = 300) -> DayKeySet:
    body = DayKeySetBody(
        expires=now() + timedelta(seconds=expires_in_s),
        scheme="cf2",
        office=office,
        date=day,
        key=cf2_day_key(PEPPER, office, day).hex(),
    )
    return DayKeySet(v=1, id=new_message_id(), device=DEVICE, ts=now(), body=body)  # type: ignore[arg-type]


def _answer(
    broker: MosquittoBroker, collector: CollectorDouble, command: DayKeySet
) -> CommandResult:
    """Send until the agent answers (its subscription may not be granted yet; resending the
    same command is what the collector does too)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        send(broker, encode(command))
        for _ in range(10):
            got = results(collector).get(UUID(str(command.id)))
            if got is not None:
                return got
            time.sleep(0.05)
    raise AssertionError(f"no command.result for {command.id}")


@pytest.mark.slow
def test_day_key_set_is_stored_or_refused_with_a_reason(
    tmp_path: Path, mosquitto: MosquittoBroker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    keys = tmp_path / "day-keys.json"
    today = office_today()
    keys.write_text(make_day_keys(PEPPER, today, 1, office=OFFICE).dumps())
    os.chmod(keys, 0o600)
    data = config_data(
        tmp_path,
        mosquitto.url,
        device={"id": DEVICE, "office": OFFICE},
        card={"backend": "simulated", "day_keys_path": str(keys)},
    )
    collector = CollectorDouble(mosquitto.host, mosquitto.port, DEVICE).start()
    tomorrow = today + timedelta(days=1)
    sent = []
    try:
        with InProcessAgent(AgentConfig(**data)) as rig:
            rig.wait_connected()
            good = _command(tomorrow)
            sent.append(good)
            result = _answer(mosquitto, collector, good)
            assert result.body.ok, result.body.detail
            assert tomorrow.isoformat() in result.body.detail
            document = json.loads(keys.read_text())
            assert document["keys"][tomorrow.isoformat()] == good.body.key
            assert sorted(document["keys"]) == [today.isoformat(), tomorrow.isoformat()]

            before = keys.read_bytes()
            refusals = {
                "expired": _command(tomorrow, expires_in_s=-1),
                "office: cm-other-dol is not this device's office": _command(
                    tomorrow, office="cm-other-dol"
                ),
                "date: ": _command(today + timedelta(days=2)),
            }
            for reason, command in refusals.items():
                sent.append(command)
                result = _answer(mosquitto, collector, command)
                assert not result.body.ok
                assert result.body.detail.startswith(reason), result.body.detail
            assert keys.read_bytes() == before  # nothing refused touched the file
    finally:
        collector.stop()
    for command in sent:
        assert command.body.key not in caplog.text
        for message in collector.messages("command-results"):
            assert command.body.key.encode() not in message
