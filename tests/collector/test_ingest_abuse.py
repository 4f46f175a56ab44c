"""A hostile device against a real Mosquitto and a real collector (issue 13 items 1, 2, 3, 6):
seq jumps that used to overflow /metrics, retained replays on resubscribe, a QoS 0 flood."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
import pytest

from collector.api.app import create_app
from collector.config import Settings
from collector.ingest.subscriber import wait_ready
from collector.runtime import Collector
from collector.storage import open_driver
from collector.tokens import Role, create_token
from protocols import Ack, Channel, encode, topic
from tests.collector.conftest import make_settings
from tests.collector.devices import (
    MqttPeer,
    eventually,
    heartbeat,
    location,
    rating,
    state,
    wait_for,
)
from tests.fixtures.broker import MosquittoBroker
from tests.fixtures.collector_process import CollectorProcess
from tests.protocols.mqtt_probe import MqttProbe

HOSTILE = ["cm-hostile-c01", "cm-hostile-c02", "cm-hostile-c03"]

METRICS_TOKEN = "cf_abuse-metrics-ops-token-0123456789abcdefghij"


@pytest.fixture
def peer(mosquitto: MosquittoBroker) -> Iterator[MqttPeer]:
    p = MqttPeer(mosquitto.url)
    p.watch_acks()
    yield p
    p.close()


def test_a_seq_jump_to_2_62_cannot_turn_metrics_into_a_500(
    mosquitto: MosquittoBroker, db_url: str, tmp_path: Path, peer: MqttPeer
) -> None:
    collector = CollectorProcess(
        tmp_path,
        {
            "CF_MQTT_URL": mosquitto.url,
            "CF_DB_URL": db_url,
            "CF_MQTT_CLIENT_ID": "cf-abuse",
            "CF_BOOTSTRAP_OPS_TOKEN": METRICS_TOKEN,
        },
    )
    collector.start()
    try:
        collector.wait_ready()
        for device in HOSTILE:
            peer.publish(device, Channel.EVENTS, rating(device, 1))
            peer.publish(device, Channel.EVENTS, rating(device, 2**62))
            peer.publish(device, Channel.EVENTS, rating(device, 2))
        wait_for(lambda: all(peer.last_ack(d) == 2 for d in HOSTILE))
        wait_for(lambda: 'cf_dead_lettered_total{code="seq_jump"} 3.0' in _metrics(collector))
        assert "cf_seq_gaps_open 0.0" in _metrics(collector)
    finally:
        collector.stop()


def test_metrics_sum_does_not_overflow_on_rows_already_holding_huge_gaps(
    mosquitto: MosquittoBroker, db_url: str, tmp_path: Path
) -> None:
    """Rows written before the cap existed (or by a bug) must not break /metrics either."""

    async def seed() -> None:
        driver = await open_driver(make_settings(db_url))
        try:
            async with driver.transaction() as tx:
                await tx.executemany(
                    "INSERT INTO device_seq (device_id, max_seq, acked_seq, missing) "
                    "VALUES (?, ?, 1, ?)",
                    [(d, 2**62, 2**62 - 2) for d in HOSTILE],
                )
        finally:
            await driver.close()

    asyncio.run(seed())
    collector = CollectorProcess(
        tmp_path,
        {
            "CF_MQTT_URL": mosquitto.url,
            "CF_DB_URL": db_url,
            "CF_MQTT_CLIENT_ID": "cf-abuse2",
            "CF_BOOTSTRAP_OPS_TOKEN": METRICS_TOKEN,
        },
    )
    collector.start()
    try:
        collector.wait_ready()
        text = _metrics(collector)
        assert "cf_seq_gaps_open 1.3835058055282164e+19" in text
    finally:
        collector.stop()


def _metrics(collector: CollectorProcess) -> str:
    # /metrics is a fleet view (viewer, technician, ops): the process gets a bootstrap ops token.
    response = httpx.get(
        f"{collector.url}/metrics",
        headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text[:200]
    return response.text


async def test_retained_replay_on_resubscribe_is_never_seen(
    mosquitto: MosquittoBroker, sqlite_url: str, peer: MqttPeer
) -> None:
    gone = "cm-revoked-c01"  # a device that left (or was revoked) with its retained documents
    peer.publish(gone, Channel.STATE, state(gone, "online"), retain=True)
    peer.publish(gone, Channel.LOCATION, location(gone, 18.79, 98.98), retain=True)
    collector = Collector(make_settings(sqlite_url, mosquitto))
    await collector.start()
    try:
        assert collector.subscriber is not None
        assert await wait_ready(collector.subscriber, 10)
        ignored = collector.metrics.retained_ignored.labels("state")
        await eventually(lambda: ignored._value.get() == 1)
        driver = collector.driver
        await eventually(lambda: driver.fetchval("SELECT count(*) FROM locations"))
        assert await driver.fetchval("SELECT count(*) FROM fleet_state") == 0
        # A live message (retain flag off on delivery) is evidence as before.
        peer.publish(gone, Channel.STATE, state(gone, "online"), retain=True)
        await eventually(lambda: driver.fetchval("SELECT count(*) FROM fleet_state"))
        assert await driver.fetchval("SELECT state FROM fleet_state") == "online"
    finally:
        await collector.stop()


async def test_a_qos0_flood_is_bounded_and_no_qos1_event_is_lost(
    mosquitto: MosquittoBroker, sqlite_url: str, peer: MqttPeer
) -> None:
    settings: Settings = make_settings(
        sqlite_url, mosquitto, ingest_qos0_max=50, batch_window_ms=3000, batch_max=20000
    )
    collector = Collector(settings)
    await collector.start()
    device = "cm-flood-c01"
    try:
        assert collector.subscriber is not None
        assert await wait_ready(collector.subscriber, 10)
        flood = 2000
        hb = heartbeat(device)
        for seq in range(1, 101):
            peer.client.publish(topic(device, Channel.EVENTS), rating(device, seq), qos=1)
        infos = [
            peer.client.publish(topic(device, Channel.HEARTBEAT), hb, qos=0) for _ in range(flood)
        ]
        for info in infos:
            info.wait_for_publish(timeout=10)
        assert all(i.rc == mqtt.MQTT_ERR_SUCCESS for i in infos)
        m = collector.metrics
        dropped = m.inbox_dropped.labels("heartbeat")
        taken = m.received.labels("heartbeat")
        await eventually(lambda: dropped._value.get() + taken._value.get() == flood, within=20)
        assert dropped._value.get() > 0
        await eventually(lambda: peer.last_ack(device) == 100, within=20)
        stored = await collector.driver.fetchval("SELECT count(*) FROM events")
        assert stored == 100
    finally:
        await collector.stop()


async def test_decommission_clears_the_retained_topics_through_the_collector(
    mosquitto: MosquittoBroker, sqlite_url: str
) -> None:
    """What decommission-device.yml calls: DELETE /api/v1/devices/{id}/retained."""
    retired = "cm-retired-c01"
    peer = MqttPeer(mosquitto.url)  # watches no acks: the clear itself is an empty ack
    peer.publish(retired, Channel.STATE, state(retired, "online"), retain=True)
    peer.publish(retired, Channel.LOCATION, location(retired, 18.79, 98.98), retain=True)
    ack = encode(Ack(v=1, device=retired, acked_seq=7))
    peer.publish_raw(topic(retired, Channel.ACKS), ack, retain=True)
    app = create_app(make_settings(sqlite_url, mosquitto))
    async with app.router.lifespan_context(app):
        collector: Collector = app.state.collector
        assert collector.subscriber is not None
        assert await wait_ready(collector.subscriber, 10)
        tech = await create_token(collector.driver, Role.TECHNICIAN, "ansible")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://c") as client:
            url = f"/api/v1/devices/{retired}/retained"
            assert (await client.delete(url)).status_code == 401
            r = await client.delete(url, headers={"Authorization": f"Bearer {tech}"})
            assert r.status_code == 200, r.text
            assert r.json() == {"device_id": retired, "cleared": ["location", "state", "acks"]}
    probe = MqttProbe(mosquitto.host, mosquitto.port, "retained-check").connect()
    try:
        probe.subscribe(f"cf/v1/devices/{retired}/#")
        peer.publish(retired, Channel.EVENTS, b"marker")
        assert [m.payload for m in probe.receive_until(b"marker")] == [b"marker"]
    finally:
        probe.close()
        peer.close()
