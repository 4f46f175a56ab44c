"""``CF_INGEST_WORKERS``: supervised ingest processes on a shared subscription with PostgreSQL.

One worker of three is killed with SIGKILL mid-stream. Its persistent session (fixed id per
worker index) keeps its share at the broker while it is down, the main process starts it again
under the same id, and the broker redelivers what it never acknowledged. What a killed shared
subscriber held can still be lost at the broker (docs/PROTOCOL.md, end-to-end acknowledgement):
as a real agent does, the test then republishes (same id, same seq) what the collector has not
acknowledged. Every event is stored exactly once and acknowledged end to end; acks may arrive out
of order from different workers, so a device's ack is the highest value it has seen.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from pathlib import Path

import asyncpg
import psutil
import pytest

from protocols import Channel
from tests.collector.devices import MqttPeer, wait_for
from tests.collector.test_crash import DEVICES, _payloads, _pg_counts, _stream
from tests.fixtures.broker import MosquittoBroker
from tests.fixtures.collector_process import CollectorProcess

pytestmark = pytest.mark.slow


async def _open_gaps(url: str) -> list[tuple[str, int, int]]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT device_id, from_seq, to_seq FROM seq_gaps WHERE status = 'open' ORDER BY 1, 2"
        )
        return [(r["device_id"], r["from_seq"], r["to_seq"]) for r in rows]
    finally:
        await conn.close()


def _workers(main_pid: int) -> dict[str, int]:
    """Worker index -> pid of the ingest workers the main process runs."""
    found = {}
    for child in psutil.Process(main_pid).children():
        try:
            cmd = child.cmdline()
        except psutil.Error:  # a killed worker not yet reaped (zombie), or gone
            continue
        if "collector.ingest_worker" in cmd:
            found[cmd[-1]] = child.pid
    return found


def test_one_of_three_workers_killed_loses_and_doubles_nothing(
    mosquitto: MosquittoBroker, tmp_path: Path, postgres_url: str
) -> None:
    per_device = 400
    collector = CollectorProcess(
        tmp_path,
        {
            "CF_MQTT_URL": mosquitto.url,
            "CF_DB_URL": postgres_url,
            "CF_MQTT_CLIENT_ID": "cf-pool",
            "CF_INGEST_WORKERS": "3",
        },
    )
    collector.start_ready(timeout_s=60)  # ready: all three subscribed
    before = _workers(collector.pid)
    assert sorted(before) == ["1", "2"]
    peer = MqttPeer(mosquitto.url)
    peer.watch_acks()
    done = threading.Event()
    payloads = _payloads(per_device)
    publisher = threading.Thread(target=_stream, args=(peer, payloads, 400.0, done))
    publisher.start()
    try:
        wait_for(lambda: any(peer.last_ack(d) for d in DEVICES), timeout=30)
        assert not done.is_set(), "the stream ended before the kill: raise per_device"
        os.kill(before["1"], signal.SIGKILL)
        wait_for(lambda: _workers(collector.pid).get("1") not in (None, before["1"]), timeout=30)
        publisher.join()
        expected = per_device * len(DEVICES)

        def complete() -> bool:
            total, _, acked = asyncio.run(_pg_counts(postgres_url))
            return total == expected and all(acked.get(d) == per_device for d in DEVICES)

        def highest_ack(device: str) -> int:
            return max(list(peer.acks.get(device) or [0]))

        republished = 0
        try:
            for _ in range(6):  # an agent republishes what stays unacknowledged (PROTOCOL.md)
                try:
                    wait_for(complete, timeout=15, interval=0.5)
                    break
                except AssertionError:
                    for d in DEVICES:
                        for seq in range(highest_ack(d) + 1, per_device + 1):
                            peer.publish(d, Channel.EVENTS, payloads[d][seq - 1])
                            republished += 1
            wait_for(complete, timeout=15, interval=0.5)
        except AssertionError:
            total, distinct, acked = asyncio.run(_pg_counts(postgres_url))
            gaps = asyncio.run(_open_gaps(postgres_url))
            raise AssertionError(f"stored {total}/{expected}, acked {acked}, gaps {gaps}") from None
        total, distinct, acked = asyncio.run(_pg_counts(postgres_url))
        assert total == distinct == expected
        assert acked == dict.fromkeys(DEVICES, per_device)
        wait_for(lambda: all(highest_ack(d) == per_device for d in DEVICES), timeout=30)
        print(f"republished after the kill: {republished}")
        assert _workers(collector.pid)["2"] == before["2"], "only the killed worker restarts"
        assert "ingest worker 1" in collector.log_path.read_text()
    finally:
        peer.close()
        collector.stop()
        publisher.join(timeout=30)
