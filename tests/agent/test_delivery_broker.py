"""End to end against a real private Mosquitto: outages, broker crashes and agent crashes,
checked by a collector double that deduplicates by id and acknowledges committed seqs."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from agent.config import AgentConfig
from agent.outbox import Outbox
from protocols import Channel, Rating, RatingBody, State, decode, new_message_id, now, topic
from tests.agent.agent_rig import (
    DEVICE,
    InProcessAgent,
    config_data,
    start_agent_process,
    wait_until,
    write_toml,
)
from tests.agent.collector_double import CollectorDouble
from tests.fixtures.broker import MosquittoBroker


def assert_complete(collector: CollectorDouble, last_seq: int) -> None:
    with collector.lock:
        assert sorted(collector.seq_to_id) == list(range(1, last_seq + 1)), "missing seqs"
        assert len(collector.by_id) == last_seq, "an event arrived under two ids"
        first = collector.first_arrival
    assert first == sorted(first), "events did not arrive in seq order"


@pytest.mark.slow
def test_broker_outage_while_citizens_keep_rating(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    collector = CollectorDouble(mosquitto.host, mosquitto.port, DEVICE).start()
    config = AgentConfig(**config_data(tmp_path, mosquitto.url))
    try:
        with InProcessAgent(config) as rig:
            rig.wait_connected()
            for score in (1, 2, 3):
                rig.serve_one_citizen(score)
            assert collector.wait_for_seq(9, 10)
            mosquitto.stop()
            wait_until(lambda: not rig.agent.publisher.connected, 10, "agent missed the outage")
            for i in range(40):  # ~8 s of outage with a counter in use
                rig.serve_one_citizen(1 + i % 5)
                time.sleep(0.2)
            assert rig.agent.outbox.depth >= 120
            mosquitto.start()
            for score in (4, 5):
                rig.serve_one_citizen(score)
            last = rig.agent.outbox.last_seq
            assert last == 3 * 45
            assert collector.wait_for_seq(last, 30), f"collector acked {collector.acked}/{last}"
            wait_until(lambda: rig.agent.outbox.depth == 0, 10, "outbox not emptied by acks")
    finally:
        collector.stop()
    assert_complete(collector, last)
    states = [decode(topic(DEVICE, Channel.STATE), m) for m in collector.messages("state")]
    assert [s.state for s in states if isinstance(s, State)][-1] == "offline"  # clean stop


@pytest.mark.slow
def test_broker_killed_after_puback_events_still_arrive(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    """The collector is away (persistent session): the broker PUBACKs and queues, then dies
    by SIGKILL before saving; the queue is gone, yet acks + republish deliver everything."""
    collector = CollectorDouble(mosquitto.host, mosquitto.port, DEVICE).start()
    collector.stop()  # away, with its session (and the events for it) kept by the broker
    config = AgentConfig(**config_data(tmp_path, mosquitto.url))
    with InProcessAgent(config) as rig:
        rig.wait_connected()
        for score in (1, 2, 3, 4, 5):
            rig.serve_one_citizen(score)
        wait_until(lambda: rig.agent.delivery.in_flight == 0, 10, "no PUBACKs")
        assert rig.agent.delivery.published == 15
        mosquitto.kill()
        mosquitto.start()
        collector = CollectorDouble(mosquitto.host, mosquitto.port, DEVICE).start()
        try:
            assert collector.wait_for_seq(15, 30), f"collector acked {collector.acked}/15"
            wait_until(lambda: rig.agent.outbox.depth == 0, 10, "outbox not emptied")
            # PUBACKed once, yet unacknowledged: sent again from the outbox after reconnecting.
            assert rig.agent.delivery.published >= 30
        finally:
            collector.stop()
    assert_complete(collector, 15)


@pytest.mark.slow
def test_unacknowledged_events_are_republished_with_same_id_and_seq(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    """A collector that received but did not commit (no ack): after republish_after_s the
    agent sends the same events again over the same connection."""
    collector = CollectorDouble(mosquitto.host, mosquitto.port, DEVICE, ack=False).start()
    config = AgentConfig(**config_data(tmp_path, mosquitto.url, outbox={"republish_after_s": 1}))
    try:
        with InProcessAgent(config) as rig:
            rig.wait_connected()
            for score in (2, 4):
                rig.serve_one_citizen(score)
            wait_until(lambda: collector.duplicates >= 6, 10, "nothing republished")
            assert rig.agent.delivery.republished_rounds >= 1
            assert rig.agent.outbox.depth == 6  # still waiting for the collector
            collector.ack_enabled = True
            wait_until(lambda: rig.agent.outbox.depth == 0, 10, "acks did not empty the outbox")
    finally:
        collector.stop()
    assert_complete(collector, 6)  # the double asserts a duplicate keeps its seq


def prefill(path: Path, count: int) -> None:
    outbox = Outbox(path, DEVICE)
    body = RatingBody(session=None, score=5, scale=5, verified=False)

    def build(seq: int) -> Rating:
        return Rating(v=1, id=new_message_id(), device=DEVICE, ts=now(), seq=seq, body=body)

    for _ in range(count):
        outbox.append(build)
    outbox.close()


def outbox_rows(path: Path) -> int:
    """Events left in another process's outbox (read-only: the agent keeps writing it)."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)) as db:
        return int(db.execute("SELECT count(*) FROM events").fetchone()[0])


@pytest.mark.slow
def test_agent_killed_during_drain_loses_and_doubles_nothing(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    total = 8_000
    data = config_data(tmp_path, mosquitto.url, mqtt={"window": 200})
    config_path = write_toml(tmp_path / "agent.toml", data)
    outbox_path = Path(data["outbox"]["path"])
    prefill(outbox_path, total)
    collector = CollectorDouble(mosquitto.host, mosquitto.port, DEVICE).start()
    try:
        for cycle in range(3):
            proc = start_agent_process(config_path, tmp_path / "agent.log")
            target = (cycle + 1) * total // 5
            try:
                wait_until(lambda t=target: collector.acked >= t, 60, "drain too slow")
            finally:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
        log_path = tmp_path / "agent.log"
        earlier = log_path.stat().st_size
        proc = start_agent_process(config_path, log_path)
        try:
            assert collector.wait_for_seq(total, 90), f"acked {collector.acked}/{total}"
            # The earlier runs may have drained everything already: SIGTERM only once this
            # agent runs (its handler is in place), or the signal kills it mid-import.
            wait_until(
                lambda: f"agent {DEVICE} running" in log_path.read_text()[earlier:],
                60,
                "the last agent did not start",
            )
            # The double acked everything; the agent deletes what the ack covers when it
            # arrives. Stop it only then, or a clean stop races the last ack.
            wait_until(lambda: outbox_rows(outbox_path) == 0, 30, "the last ack did not arrive")
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(15) == 0
    finally:
        collector.stop()
    with collector.lock:
        assert sorted(collector.seq_to_id) == list(range(1, total + 1))
        assert len(collector.by_id) == total
        assert collector.duplicates > 0  # the kills did cut the drain mid-window
    remaining = Outbox(outbox_path, DEVICE)
    assert remaining.depth == 0
    assert remaining.last_seq == total
