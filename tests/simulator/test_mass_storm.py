"""Mass mode against a real broker and collector: a broker restart loses nothing.

300 wire-level devices (``simulator.mass``) on one asyncio loop, each its own MQTT session
logging in with its device id under the production ACL, a real ``python -m collector`` on
SQLite. Mosquitto is stopped (SIGTERM) while the devices keep rating, then started again: every
device reconnects (with jitter), sends what it wrote meanwhile, and the collector stores every
event exactly once and acknowledges it. The 5,000-device figures are in
``tests/bench/bench_fleet_storm.py``.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from simulator.mass.device import Broker
from simulator.mass.fleet import MassFleet
from simulator.mass.limits import raise_nofile
from simulator.offices import place_counters
from tests.fixtures.broker import BrokerFactory, MosquittoBroker
from tests.fixtures.collector_process import CollectorProcess

DEVICES = 300

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


def _stored(db: Path) -> dict[str, list[int]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT device_id, seq FROM events ORDER BY device_id, seq")
        out: dict[str, list[int]] = {}
        for device, seq in rows:
            out.setdefault(device, []).append(seq)
    return out


async def _storm(broker: MosquittoBroker, ids: list[str]) -> tuple[MassFleet, int]:
    # Fast ratings so that every device has written something during the outage.
    fleet = MassFleet(
        ids,
        Broker(broker.host, broker.port, jitter_s=3.0),
        ratings_per_hour=1800,
        heartbeat_s=5,
    )
    await fleet.start()
    assert await fleet.wait_for("connected", 30), fleet.status()
    await asyncio.sleep(2)
    sessions = fleet.status().sessions
    await asyncio.to_thread(broker.stop)
    before = fleet.status().written
    await asyncio.sleep(2)  # devices keep rating into their outboxes
    written_offline = fleet.status().written - before
    await asyncio.to_thread(broker.start)
    assert await fleet.wait_for("drained", 60), fleet.status()
    assert fleet.status().sessions == sessions + DEVICES  # every device came back once
    return fleet, written_offline


def test_broker_restart_with_300_devices_loses_nothing(
    mosquitto_factory: BrokerFactory, tmp_path: Path
) -> None:
    raise_nofile(DEVICES)
    broker = mosquitto_factory(
        acl={"mosquitto_collector_users": ["collector"]},
        anonymous=True,
        listener_options={"max_connections": str(DEVICES + 50)},
    )
    db = tmp_path / "collector.db"
    collector = CollectorProcess(
        tmp_path / "collector",
        {"CF_MQTT_URL": f"mqtt://collector@{broker.host}:{broker.port}", "CF_DB_URL": str(db)},
        log_level="WARNING",
    ).start_ready(60)
    try:
        ids = [s.device_id for s in place_counters(DEVICES)]

        async def scenario() -> tuple[dict[str, int], dict[str, int], int, int]:
            fleet, written_offline = await _storm(broker, ids)
            final = await fleet.stop(settle_s=30)
            assert final.pending == 0, final
            last = {d.device_id: d.last_seq for d in fleet.devices}
            acked = {d.device_id: d.acked_seq for d in fleet.devices}
            return last, acked, written_offline, final.written

        last, acked, written_offline, written = asyncio.run(scenario())
    finally:
        collector.stop()
    stored = _stored(db)
    assert written_offline > 0  # the outage had a backlog to drain
    assert acked == last  # the collector acknowledged every event of every device
    for device in ids:  # each seq 1..last exactly once (the id is the primary key)
        assert stored.get(device, []) == list(range(1, last[device] + 1)), device
    assert sum(len(v) for v in stored.values()) == written
