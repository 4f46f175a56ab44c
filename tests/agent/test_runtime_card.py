"""The runtime with the card module's simulated source: pseudonyms go out, citizen ids never."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from agent.card.day_key_store import StaticDayKeys, office_today
from agent.card.simulated import SimulatedCardSource
from agent.clock import SystemClock
from agent.config import AgentConfig
from agent.runtime import Agent
from protocols import Channel, Rating, SessionStarted, decode, topic
from protocols.day_keys import make_day_keys
from simulator.card.synthetic_person import SyntheticPerson
from tests.agent.agent_rig import DEVICE, config_data, wait_until
from tests.agent.collector_double import CollectorDouble
from tests.fixtures.broker import MosquittoBroker

CANARY = "1999900000013"


@pytest.mark.slow
def test_simulated_card_session_and_canary(
    tmp_path: Path, mosquitto: MosquittoBroker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    keys = StaticDayKeys(make_day_keys(b"p" * 32, office_today() - timedelta(days=1), 3))
    card = SimulatedCardSource(day_keys=keys)
    config = AgentConfig(**config_data(tmp_path, mosquitto.url, heartbeat={"interval_s": 1}))
    pins = MockFactory()
    collector = CollectorDouble(mosquitto.host, mosquitto.port, DEVICE).start()
    agent = Agent(config, card_source=card, pin_factory=pins, clock=SystemClock())
    agent.start()
    try:
        wait_until(lambda: agent.publisher.connected, 10, "no connection")
        card.insert(SyntheticPerson(citizen_id=CANARY))
        card.remove()
        pin = pins.pin(config.panel.buttons[4])
        pin.drive_low()
        pin.drive_high()
        assert collector.wait_for_seq(3, 10)
        agent.tick()  # a heartbeat too
        wait_until(lambda: collector.messages("heartbeat"), 5, "no heartbeat")
    finally:
        agent.stop()
        collector.stop()
    events = [decode(topic(DEVICE, Channel.EVENTS), p) for p in collector.raw_events()]
    started = next(e for e in events if isinstance(e, SessionStarted))
    assert started.body.visitor is not None
    assert len(started.body.visitor) == 26
    assert started.body.card_valid is True
    rating = next(e for e in events if isinstance(e, Rating))
    assert rating.body.verified
    assert rating.body.session == started.body.session
    # The canary appears nowhere: MQTT traffic, the outbox database, logs.
    traffic = b"".join(collector.raw_events())
    for channel in ("heartbeat", "state", "location", "command-results"):
        traffic += b"".join(collector.messages(channel))
    assert CANARY.encode() not in traffic
    for path in (tmp_path / "state").iterdir():
        assert CANARY.encode() not in path.read_bytes(), path
    assert CANARY not in caplog.text
