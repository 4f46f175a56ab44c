"""Abuse on the input side: fuzzed/malformed payloads on every topic (hypothesis), and a hostile
device flooding, jumping seqs, sending future timestamps and retained junk beside an honest one.
The collector must not crash, must keep answering, and must keep the honest device whole."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocols import Channel, encode, topic
from tests.agent.agent_rig import InProcessAgent
from tests.collector.devices import MqttPeer, rating
from tests.faults.conftest import FULL
from tests.faults.system import FaultSystem, agent_crashes, press_stream
from tests.faults.table import FaultTable
from tests.fixtures.broker import MosquittoBroker
from tests.protocols import strategies

pytestmark = pytest.mark.slow

FUZZ = 10_000 if FULL else 600
FUZZ_DEVICES = [f"flt-fuzz-{i:02d}" for i in range(4)]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@pytest.fixture
def system(mosquitto: MosquittoBroker, tmp_path: Path) -> Iterator[FaultSystem]:
    # Every refused payload must be visible as a dead-letter row for the fuzz test's accounting:
    # the hourly quota per device (1,000 by default; 10,000 fuzzed payloads on 4 devices exceed
    # it, the rest only counted in cf_dead_letters_suppressed) is tested in test_ingest_bounds.
    quota = {"CF_DEAD_LETTER_QUOTA": str(2 * FUZZ)}
    s = FaultSystem(tmp_path, mosquitto, quota).start()
    yield s
    s.stop()


def mutated(valid: bytes, key: str, value: object, drop: bool) -> bytes:
    """A valid message with one field replaced by arbitrary JSON (or removed)."""
    data = json.loads(valid)
    target = (
        data["body"] if key.startswith("body.") and isinstance(data.get("body"), dict) else data
    )
    name = key.removeprefix("body.")
    if drop:
        target.pop(name, None)
    else:
        target[name] = value
    return json.dumps(data, allow_nan=True).encode()


FIELDS = ["v", "id", "device", "ts", "seq", "type", "body", "body.score", "body.scale", "body.lat"]
PAYLOADS = st.one_of(
    st.binary(max_size=300),
    JSON.map(lambda v: json.dumps(v, allow_nan=True).encode()),
    st.builds(
        mutated,
        st.one_of(strategies.events, strategies.heartbeats, strategies.locations).map(encode),
        st.sampled_from(FIELDS),
        JSON | st.sampled_from([1e999, -1e999, float("nan"), 2**63, -1, "", "x" * 5000]),
        st.booleans(),
    ),
    st.sampled_from([b"1e999", b"NaN", b"{", b"\xff\xfe", b"[]" * 1000, b"{}"]),
)


def test_fuzzed_payloads_on_every_topic(system: FaultSystem, fault_table: FaultTable) -> None:
    peer = MqttPeer(system.broker.url)
    sent = [0]
    on_events: set[bytes] = set()
    channels = [c for c in Channel if c is not Channel.ACKS and c is not Channel.COMMANDS]

    @settings(
        max_examples=FUZZ,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.sampled_from(FUZZ_DEVICES), st.sampled_from(channels), PAYLOADS)
    def publish(device: str, channel: Channel, payload: bytes) -> None:
        peer.client.publish(topic(device, channel), payload, qos=1)
        sent[0] += 1
        if channel is Channel.EVENTS:
            on_events.add(payload)

    try:
        publish()
        peer.publish_raw("cf/v1/devices/flt-fuzz-00/events", b"end-marker")
    finally:
        peer.close()
    time.sleep(2.0)  # the batcher's window; then the collector must still answer
    system.check_collector()
    ready = httpx.get(f"{system.collector.url}/readyz", timeout=10).status_code
    letters = system.dead_letters()
    with sqlite3.connect(system.db, timeout=10) as conn:
        stored = int(conn.execute("SELECT count(*) FROM events").fetchone()[0])
        on_topic = int(
            conn.execute(
                "SELECT count(*) FROM dead_letters WHERE topic LIKE '%/events'"
            ).fetchone()[0]
        )
    row = fault_table.add(
        system.row(
            "10k fuzzed payloads, every topic" if FULL else f"{FUZZ} fuzzed payloads, every topic",
            "-",
            sent[0],
        )
    )
    # lost: distinct payloads on an events topic neither stored nor dead-lettered (a valid
    # message drawn twice with one id is stored once, so this may over-count, never hide)
    row.stored = stored
    row.lost = max(0, len(on_events) + 1 - stored - on_topic)  # +1: the end marker
    row.note = f"dead-lettered: {letters} (events topic {on_topic}); /readyz {ready}"
    assert sent[0] >= FUZZ
    assert ready == 200
    assert letters > 0
    assert row.lost == 0, row
    assert row.crashes == 0, system.collector.log_tail()


def test_hostile_device_beside_an_honest_one(system: FaultSystem, fault_table: FaultTable) -> None:
    hostile = "flt-hostile"
    honest = "flt-honest"
    flood = 3000 if FULL else 600
    peer = MqttPeer(system.broker.url)
    config = system.agent_config(honest)
    try:
        with InProcessAgent(config, reader=False) as rig:
            rig.wait_connected()
            presses = press_stream(rig, 100, 50)
            events = topic(hostile, Channel.EVENTS)
            peer.publish_many((events, rating(hostile, seq)) for seq in range(1, flood + 1))
            for _ in range(flood):  # QoS 0 flood: bypasses Receive Maximum
                peer.client.publish(events, rating(hostile, 7), qos=0)
            for seq in (2**40, 2**62, 2**63 - 1, 5, 2**50):  # seq jumps
                peer.publish_raw(events, rating(hostile, seq))
            future = json.loads(rating(hostile, flood + 1))
            future["ts"] = (datetime.now().astimezone() + timedelta(days=3650)).isoformat()
            peer.publish_raw(events, json.dumps(future).encode())
            for channel in (Channel.STATE, Channel.LOCATION, Channel.HEARTBEAT, Channel.EVENTS):
                peer.publish_raw(topic(hostile, channel), b"retained junk", retain=True)
            presses.join()
            sent = rig.agent.outbox.last_seq
            system.wait_stored(honest, sent, 120)
            crashes = agent_crashes(rig)
        ops = system.ops_headers
        metrics = httpx.get(f"{system.collector.url}/metrics", headers=ops, timeout=10).status_code
        devices = httpx.get(
            f"{system.collector.url}/api/v1/devices", headers=ops, timeout=10
        ).status_code
    finally:
        for channel in (Channel.STATE, Channel.LOCATION, Channel.HEARTBEAT, Channel.EVENTS):
            peer.publish_raw(topic(hostile, channel), b"", retain=True)
        peer.close()
    row = fault_table.add(
        system.row(
            "hostile device (flood, seq jumps, future ts, retained junk)",
            honest,
            sent,
            crashes=crashes,
        )
    )
    row.note = f"/metrics {metrics}, /api/v1/devices {devices}; hostile dead-lettered: " + str(
        system.dead_letters(hostile)
    )
    assert (row.lost, row.duplicated, row.crashes) == (0, 0, 0), row
    if metrics >= 500 or devices >= 500:
        pytest.xfail(f"issue 13 defect 2 (seq jump overflows aggregates): {row.note}")
