"""``/metrics`` of a collector with ``CF_INGEST_WORKERS=3`` counts the whole collector: the two
worker processes report their counters to the main process (``ingest/worker_counters.py``).

Real processes throughout: a private Mosquitto, PostgreSQL, ``python -m collector`` with its
workers. A worker killed with SIGKILL (after its last report) and started again neither resets
nor doubles the totals: what the dead process reported stays counted, the new one starts from
zero against a baseline of zero.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
from pathlib import Path

import asyncpg
import httpx
import pytest

from protocols import Channel, topic
from tests.collector.devices import MqttPeer, rating, wait_for
from tests.collector.test_ingest_workers import _workers
from tests.fixtures.broker import MosquittoBroker
from tests.fixtures.collector_process import CollectorProcess

pytestmark = pytest.mark.slow

TOKEN = "cf_worker-metrics-ops-token-0123456789abcdefghij"
DEVICES = [f"cm-wmetric-c{i:02d}" for i in range(1, 7)]


def _metric(collector: CollectorProcess, name: str) -> float:
    """Sum of every series of ``name`` on /metrics (all label values)."""
    response = httpx.get(
        f"{collector.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    assert response.status_code == 200, response.text[:200]
    pattern = re.compile(rf"^{name}(?:\{{[^}}]*\}})? (\S+)$", re.MULTILINE)
    return sum(float(v) for v in pattern.findall(response.text))


async def _stored(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM events"))
    finally:
        await conn.close()


def _publish(peer: MqttPeer, seqs: range) -> int:
    return peer.publish_many(
        (topic(d, Channel.EVENTS), rating(d, seq)) for seq in seqs for d in DEVICES
    )


def _shares(collector: CollectorProcess, url: str, expected: int) -> None:
    """Wait until every event is stored and /metrics counts each of them once."""
    wait_for(lambda: asyncio.run(_stored(url)) == expected, timeout=60, interval=0.5)
    wait_for(lambda: _metric(collector, "cf_events_stored_total") >= expected, timeout=15)
    assert _metric(collector, "cf_events_stored_total") == expected
    assert _metric(collector, "cf_messages_received_total") == expected


def test_metrics_count_every_worker_and_survive_a_killed_one(
    mosquitto: MosquittoBroker, tmp_path: Path, postgres_url: str
) -> None:
    collector = CollectorProcess(
        tmp_path,
        {
            "CF_MQTT_URL": mosquitto.url,
            "CF_DB_URL": postgres_url,
            "CF_MQTT_CLIENT_ID": "cf-wmetrics",
            "CF_INGEST_WORKERS": "3",
            "CF_BOOTSTRAP_OPS_TOKEN": TOKEN,
        },
    )
    collector.start_ready(timeout_s=60)
    peer = MqttPeer(mosquitto.url)
    try:
        first = _publish(peer, range(1, 101))
        _shares(collector, postgres_url, first)
        commits = _metric(collector, "cf_commits_total")
        assert commits >= 3, "three processes committed: each counts its own commits"

        before = _workers(collector.pid)
        os.kill(before["1"], signal.SIGKILL)  # idle: its last report is out
        wait_for(lambda: _workers(collector.pid).get("1") not in (None, before["1"]), timeout=30)
        collector.wait_ready(timeout_s=60)
        assert _metric(collector, "cf_events_stored_total") == first, "no reset, no double"

        second = _publish(peer, range(101, 201))
        _shares(collector, postgres_url, first + second)
        assert _metric(collector, "cf_commits_total") > commits
    finally:
        peer.close()
        collector.stop()
