"""Ingest against a real Mosquitto: storage, end-to-end acks, duplicates, order, bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from collector.runtime import Collector
from protocols import Channel, CopyMade, CopyMadeBody, new_message_id, now, topic
from protocols.codec import encode
from tests.collector.devices import (
    MqttPeer,
    dropped,
    eventually,
    heartbeat,
    rating,
    rejected_event,
    state,
)
from tests.fixtures.broker import MosquittoBroker

DEV = "cm-ingest-c01"


@pytest.fixture
def peer(mosquitto: MosquittoBroker) -> Iterator[MqttPeer]:
    p = MqttPeer(mosquitto.url)
    p.watch_acks()
    yield p
    p.close()


async def stored(collector: Collector, device: str = DEV) -> int:
    return int(
        await collector.driver.fetchval("SELECT count(*) FROM events WHERE device_id = ?", device)
    )


async def test_events_are_stored_and_acknowledged(running: Collector, peer: MqttPeer) -> None:
    for seq in range(1, 6):
        peer.publish(DEV, Channel.EVENTS, rating(DEV, seq))
    await eventually(lambda: peer.last_ack(DEV) == 5)
    assert await stored(running) == 5
    received = running.metrics.received.labels("events")._value.get()
    assert received == 5


async def test_duplicates_and_out_of_order(running: Collector, peer: MqttPeer) -> None:
    payloads = {seq: rating(DEV, seq) for seq in range(1, 7)}
    for seq in (1, 2, 5, 6):
        peer.publish(DEV, Channel.EVENTS, payloads[seq])
    await eventually(lambda: peer.last_ack(DEV) == 2)
    await eventually(lambda: stored(running), within=5)
    # The gap 3..4 holds the ack at 2, duplicates change nothing.
    peer.publish(DEV, Channel.EVENTS, payloads[5])
    peer.publish(DEV, Channel.EVENTS, payloads[1])
    peer.publish(DEV, Channel.EVENTS, payloads[4])
    await eventually(lambda: running.metrics.duplicates._value.get() == 2)
    assert peer.last_ack(DEV) == 2
    peer.publish(DEV, Channel.EVENTS, payloads[3])
    await eventually(lambda: peer.last_ack(DEV) == 6)
    assert await stored(running) == 6
    acks = peer.acks[DEV]
    assert acks == sorted(acks), "acked_seq must never decrease"


async def test_outbox_dropped_closes_a_gap_loudly(
    running: Collector, peer: MqttPeer, caplog: pytest.LogCaptureFixture
) -> None:
    peer.publish(DEV, Channel.EVENTS, rating(DEV, 1))
    peer.publish(DEV, Channel.EVENTS, rating(DEV, 5))
    await eventually(lambda: peer.last_ack(DEV) == 1)
    peer.publish(DEV, Channel.EVENTS, dropped(DEV, 6, 2, 4))
    await eventually(lambda: peer.last_ack(DEV) == 6)
    assert running.metrics.seq_lost._value.get() == 3
    assert any("counted as lost" in r.getMessage() for r in caplog.records)


async def test_unknown_device_is_quarantined_and_acknowledged(
    running: Collector, peer: MqttPeer
) -> None:
    stranger = "cm-stranger-c77"
    peer.publish(stranger, Channel.EVENTS, rating(stranger, 1))
    peer.publish(stranger, Channel.EVENTS, rejected_event(stranger, 2))
    await eventually(lambda: peer.last_ack(stranger) == 2)
    assert await stored(running, stranger) == 1
    letters = await running.driver.fetch(
        "SELECT code FROM dead_letters WHERE device_id = ?", stranger
    )
    assert [r["code"] for r in letters] == ["unknown_type"]


async def test_device_mismatch_is_dead_lettered_not_acked(
    running: Collector, peer: MqttPeer
) -> None:
    peer.publish_raw(topic(DEV, Channel.EVENTS), rating("cm-someone-else", 1))
    await eventually(running.metrics.dead_lettered.labels("device_mismatch")._value.get)
    assert await stored(running) == 0
    assert peer.last_ack(DEV) is None
    # Ingest goes on.
    peer.publish(DEV, Channel.EVENTS, rating(DEV, 1))
    await eventually(lambda: peer.last_ack(DEV) == 1)


async def test_fleet_messages_update_state(running: Collector, peer: MqttPeer) -> None:
    peer.publish(DEV, Channel.STATE, state(DEV, "online"), retain=True)
    peer.publish(DEV, Channel.HEARTBEAT, heartbeat(DEV, reader="error", outbox_depth=3))

    async def seen() -> bool:
        row = await running.driver.fetchrow("SELECT * FROM fleet_state WHERE device_id = ?", DEV)
        return bool(row and row["state"] == "online" and row["heartbeat"])

    await eventually(seen)
    peer.publish(DEV, Channel.STATE, state(DEV, "offline"), retain=True)

    async def offline() -> bool:
        row = await running.driver.fetchrow(
            "SELECT state FROM fleet_state WHERE device_id = ?", DEV
        )
        return bool(row and row["state"] == "offline")

    await eventually(offline)
    peer.publish_raw(topic(DEV, Channel.STATE), b"", retain=True)  # clear the retained message


payloads = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(str.encode),
    st.dictionaries(
        st.sampled_from(["v", "id", "device", "ts", "seq", "type", "body", "x"]),
        st.one_of(st.none(), st.integers(), st.text(max_size=20), st.booleans(), st.floats()),
        max_size=8,
    ).map(lambda d: json.dumps(d).encode()),
)


@settings(
    max_examples=1,
    deadline=None,
    phases=[Phase.generate],  # one flood per run; no shrinking against a live collector
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(flood=st.lists(payloads, min_size=150, max_size=200))
async def test_malformed_flood_is_dead_lettered_and_ingest_lives(
    running: Collector, peer: MqttPeer, flood: list[bytes]
) -> None:
    channels = [c.value for c in (Channel.EVENTS, Channel.HEARTBEAT, Channel.LOCATION)]
    items = [(f"cf/v1/devices/cm-flood-c01/{channels[i % 3]}", p) for i, p in enumerate(flood)] + [
        ("cf/v1/devices/BAD/events", b"{}"),
        (topic(DEV, Channel.EVENTS), b'{"v":1}'),
    ]
    # Hypothesis may run this body more than once on one collector: count what this run adds.
    before_rows = await running.driver.fetchval("SELECT count(*) FROM dead_letters")
    before = _dead_total(running)
    peer.publish_many(items)
    # An empty payload on a retained channel only clears the broker's copy: not a dead letter.
    expected = sum(1 for name, p in items if p or not name.endswith("/location"))
    await eventually(lambda: _dead_total(running) - before >= expected, within=30)
    after_rows = await running.driver.fetchval("SELECT count(*) FROM dead_letters")
    assert after_rows - before_rows == expected
    assert await running.driver.fetchval("SELECT count(*) FROM events") == 0
    peer.publish(DEV, Channel.EVENTS, rating(DEV, 1))
    await eventually(lambda: peer.last_ack(DEV) == 1)


def _dead_total(collector: Collector) -> float:
    return sum(
        sample.value
        for metric in collector.metrics.dead_lettered.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    )


async def test_a_message_the_database_refuses_is_dead_lettered(
    running: Collector, peer: MqttPeer
) -> None:
    # A real refusal by the database (a trigger standing in for a constraint the decoder cannot
    # know): scores of 1 are refused. Since issue 13 the protocol bounds every number, so an
    # out-of-range seq (2**70) no longer reaches the database: it is a bad_seq dead letter.
    async with running.driver.transaction() as tx:
        await tx.execute(
            "CREATE TRIGGER refuse_score_one BEFORE INSERT ON events WHEN NEW.score = 1 "
            "BEGIN SELECT RAISE(ABORT, 'refused for the test'); END"
        )
    peer.publish(DEV, Channel.EVENTS, rating(DEV, 1))
    peer.publish(DEV, Channel.EVENTS, rating(DEV, 2, score=1))
    peer.publish(DEV, Channel.EVENTS, rating(DEV, 2))
    refused = running.metrics.dead_lettered.labels("store_failed")
    await eventually(lambda: refused._value.get() == 1)
    await eventually(lambda: peer.last_ack(DEV) == 2)
    assert await stored(running) == 2
    huge = json.loads(rating(DEV, 3))
    huge["seq"] = 2**70
    peer.publish(DEV, Channel.EVENTS, json.dumps(huge).encode())
    await eventually(running.metrics.dead_lettered.labels("bad_seq")._value.get)


async def test_copy_made_is_stored_as_its_own_event_type(
    running: Collector, peer: MqttPeer
) -> None:
    """``copy.made`` (protocol v1, additive): stored and acknowledged like any event, with its
    service kept in the body, so zero-copy figures can tell it from ``copy.requested``."""
    made = CopyMade(
        v=1,
        id=new_message_id(),
        device=DEV,
        ts=now(),
        seq=1,
        body=CopyMadeBody(session=None, document="id_card", service="id-card-renewal-expired"),
    )
    peer.publish(DEV, Channel.EVENTS, encode(made))
    await eventually(lambda: peer.last_ack(DEV) == 1)
    row = await running.driver.fetchrow("SELECT type, body FROM events WHERE device_id = ?", DEV)
    assert row is not None
    assert row["type"] == "copy.made"
    assert json.loads(row["body"]) == {
        "session": None,
        "document": "id_card",
        "service": "id-card-renewal-expired",
    }
    assert await running.driver.fetchval("SELECT count(*) FROM dead_letters") == 0
