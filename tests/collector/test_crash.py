"""Fault tests with the collector as a real process: SIGKILL mid-stream, many times; two workers
on a shared subscription with PostgreSQL, one killed. Every event must be stored exactly once."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import threading
import time
from pathlib import Path

import asyncpg
import pytest

from protocols import Channel, topic
from tests.collector.devices import MqttPeer, rating, wait_for
from tests.fixtures.broker import MosquittoBroker
from tests.fixtures.collector_process import CollectorProcess

pytestmark = pytest.mark.slow

DEVICES = [f"cm-crash-c{i:02d}" for i in range(1, 6)]


def _payloads(per_device: int) -> dict[str, list[bytes]]:
    return {d: [rating(d, seq) for seq in range(1, per_device + 1)] for d in DEVICES}


def _stream(
    peer: MqttPeer, payloads: dict[str, list[bytes]], rate_per_s: float, done: threading.Event
) -> None:
    """Publish every device's events, interleaved, at about ``rate_per_s``."""
    per_device = len(payloads[DEVICES[0]])
    items = [
        (topic(d, Channel.EVENTS), payloads[d][seq]) for seq in range(per_device) for d in DEVICES
    ]
    chunk = 50
    for start in range(0, len(items), chunk):
        peer.publish_many(items[start : start + chunk], window=chunk)
        time.sleep(chunk / rate_per_s)
    done.set()


def _sqlite_counts(db: Path) -> tuple[int, int, dict[str, int]]:
    with sqlite3.connect(db) as conn:
        total = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        distinct = conn.execute(
            "SELECT count(DISTINCT device_id || ':' || seq) FROM events"
        ).fetchone()[0]
        acked = dict(conn.execute("SELECT device_id, acked_seq FROM device_seq").fetchall())
    return total, distinct, acked


def test_sigkill_mid_stream_loses_and_doubles_nothing(
    mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    per_device = 300
    db = tmp_path / "collector.db"
    collector = CollectorProcess(
        tmp_path,
        {"CF_MQTT_URL": mosquitto.url, "CF_DB_URL": str(db), "CF_MQTT_CLIENT_ID": "cf-crash"},
    )
    collector.start()
    collector.wait_ready()
    peer = MqttPeer(mosquitto.url)
    peer.watch_acks()
    done = threading.Event()
    publisher = threading.Thread(target=_stream, args=(peer, _payloads(per_device), 400.0, done))
    publisher.start()
    rng = random.Random(5)
    kills = 0
    try:
        while not done.is_set() or kills < 6:
            time.sleep(rng.uniform(0.2, 0.8))
            collector.kill()
            kills += 1
            time.sleep(rng.uniform(0.0, 0.3))  # the broker queues while the collector is down
            collector.start()
            collector.wait_ready()
        publisher.join()
        expected = per_device * len(DEVICES)

        def complete() -> bool:
            total, _, acked = _sqlite_counts(db)
            return total == expected and all(acked.get(d) == per_device for d in DEVICES)

        wait_for(complete, timeout=60, interval=0.2)
        total, distinct, acked = _sqlite_counts(db)
        assert kills >= 6
        assert total == distinct == expected
        assert acked == dict.fromkeys(DEVICES, per_device)
        wait_for(lambda: all(peer.last_ack(d) == per_device for d in DEVICES), timeout=20)
        for device in DEVICES:
            assert peer.acks[device] == sorted(peer.acks[device]), "acked_seq went down"
    finally:
        peer.close()
        collector.stop()
        publisher.join(timeout=30)


async def _pg_counts(url: str) -> tuple[int, int, dict[str, int]]:
    conn = await asyncpg.connect(url)
    try:
        total = await conn.fetchval("SELECT count(*) FROM events")
        distinct = await conn.fetchval("SELECT count(DISTINCT (device_id, seq)) FROM events")
        rows = await conn.fetch("SELECT device_id, acked_seq FROM device_seq")
        return total, distinct, {r["device_id"]: r["acked_seq"] for r in rows}
    finally:
        await conn.close()


def test_two_shared_workers_on_postgres_one_killed(
    mosquitto: MosquittoBroker, tmp_path: Path, postgres_url: str
) -> None:
    per_device = 300
    env = {
        "CF_MQTT_URL": mosquitto.url,
        "CF_DB_URL": postgres_url,
        "CF_MQTT_SHARED_GROUP": "collectors",
        "CF_MQTT_CLIENT_ID": "cf-worker",
    }
    workers = [CollectorProcess(tmp_path, env, name=f"worker{i}") for i in (1, 2)]
    for w in workers:
        w.start()
    for w in workers:
        w.wait_ready()
    peer = MqttPeer(mosquitto.url)
    peer.watch_acks()
    done = threading.Event()
    payloads = _payloads(per_device)
    publisher = threading.Thread(target=_stream, args=(peer, payloads, 500.0, done))
    publisher.start()
    try:
        # mid-stream: the workers have committed and acknowledged something already
        wait_for(lambda: any(peer.last_ack(d) for d in DEVICES), timeout=30)
        workers[0].kill()  # its unacknowledged share goes back to the group
        publisher.join()
        expected = per_device * len(DEVICES)

        # Messages in flight to the killed worker die with its clean session (Mosquitto does not
        # hand them to the other member): the devices' end-to-end rule recovers them, as on a
        # real counter: republish (same id, same seq) whatever acked_seq does not cover.
        def complete() -> bool:
            total, _, acked = asyncio.run(_pg_counts(postgres_url))
            if total == expected and all(acked.get(d) == per_device for d in DEVICES):
                return True
            for device in DEVICES:
                covered = peer.last_ack(device) or 0
                peer.publish_many(
                    (topic(device, Channel.EVENTS), p) for p in payloads[device][covered:]
                )
            return False

        wait_for(complete, timeout=60, interval=2.0)
        total, distinct, acked = asyncio.run(_pg_counts(postgres_url))
        assert total == distinct == expected
        assert acked == dict.fromkeys(DEVICES, per_device)
    finally:
        peer.close()
        for w in workers:
            w.stop()
        publisher.join(timeout=30)
