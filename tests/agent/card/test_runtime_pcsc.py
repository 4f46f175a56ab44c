"""The whole counter on the real card path: virtual card -> vpcd -> pcscd -> pyscard ->
PcscCardSource -> the runtime -> outbox -> MQTT. A canary citizen id goes in; it is found in
no published payload, no file of the agent's state, no log line and not in pcscd's log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from agent.card.day_key_store import office_today
from agent.card.pcsc_reader import PcscCardSource
from agent.card.settings import CardSettings
from agent.clock import SystemClock
from agent.config import AgentConfig
from agent.runtime import Agent
from protocols import Channel, Fault, SessionEnded, SessionStarted, decode, topic
from simulator.card.synthetic_person import SyntheticPerson
from tests.agent.agent_rig import DEVICE, config_data, wait_until
from tests.agent.card.conftest import CANARY_ID, day_keys_for
from tests.agent.card.test_pcsc_reader import pseudonym
from tests.agent.collector_double import CollectorDouble
from tests.fixtures.broker import MosquittoBroker
from tests.fixtures.pcsc import Pcscd, VirtualCards

BAD_CANARY = CANARY_ID[:-1] + str((int(CANARY_ID[-1]) + 1) % 10)


@pytest.mark.slow
def test_real_card_path_publishes_sessions_and_faults_without_the_id(
    tmp_path: Path,
    mosquitto: MosquittoBroker,
    pcscd: Pcscd,
    virtual_card: VirtualCards,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    card_settings = CardSettings(
        reader=pcscd.reader_name(0), settle_delay_s=0.05, demographics=True
    )
    source = PcscCardSource(card_settings, day_keys=day_keys_for(), poll_interval_s=0.2)
    config = AgentConfig(**config_data(tmp_path, mosquitto.url))
    collector = CollectorDouble(mosquitto.host, mosquitto.port, DEVICE).start()
    agent = Agent(config, card_source=source, pin_factory=MockFactory(), clock=SystemClock())
    agent.start()

    def events() -> list[object]:
        return [decode(topic(DEVICE, Channel.EVENTS), p) for p in collector.raw_events()]

    def faults() -> list[str]:
        return [e.body.code for e in events() if isinstance(e, Fault)]

    try:
        wait_until(lambda: agent.publisher.connected, 10, "no connection")
        card = virtual_card(SyntheticPerson(citizen_id=CANARY_ID, birth_date="25300415", sex="2"))
        wait_until(lambda: any(isinstance(e, SessionStarted) for e in events()), 10, "no start")
        virtual_card.remove(card)
        wait_until(lambda: any(isinstance(e, SessionEnded) for e in events()), 10, "no end")
        card = virtual_card(SyntheticPerson(citizen_id=BAD_CANARY))
        wait_until(lambda: "bad_checksum" in faults(), 10, "no bad_checksum fault")
        virtual_card.remove(card)
        card = virtual_card(SyntheticPerson(citizen_id=CANARY_ID), disconnect_after=3)
        wait_until(lambda: "read_interrupted" in faults(), 10, "no read_interrupted fault")
        virtual_card.remove(card)
    finally:
        agent.stop()
        collector.stop()

    started = next(e for e in events() if isinstance(e, SessionStarted))
    assert started.body.visitor == pseudonym(CANARY_ID, office_today())
    assert started.body.card_valid is True
    assert started.body.sex == "F"
    assert started.body.age_band is not None
    ended = next(e for e in events() if isinstance(e, SessionEnded))
    assert ended.body.reason == "card_removed"
    assert {e.body.component for e in events() if isinstance(e, Fault)} == {"reader"}

    traffic = b"".join(collector.raw_events())
    for channel in ("heartbeat", "state", "location", "command-results"):
        traffic += b"".join(collector.messages(channel))
    files = [p for p in tmp_path.rglob("*") if p.is_file()] + [pcscd.log_path]
    for secret in (CANARY_ID, BAD_CANARY):
        assert secret.encode() not in traffic
        for path in files:
            assert secret.encode() not in path.read_bytes(), path
        assert secret not in caplog.text
