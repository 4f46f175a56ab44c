"""The fleet simulator against a real broker and the real collector, in fast-forward.

Four counters run the real agent code for a dozen seconds at x300 (an hour of office time): the
collector receives sessions and ratings, the counter whose uplink is cut goes offline (Last Will)
and comes back and drains its backlog with no gap, the faulty reader shows up as a fault event and
an ``error`` heartbeat, timestamps are office time (+07:00) and never in the future, and stopping
the fleet leaves every device ``offline`` and no thread behind.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from protocols import ICT, now
from simulator.fleet import Fleet, FleetOptions, FleetStatus
from tests.e2e.recorder import MqttRecorder
from tests.fixtures.collector_process import OPS_TOKEN, ServingCollector

pytestmark = pytest.mark.slow

DEVICES = 4


def test_fleet_publishes_realistic_traffic_survives_an_outage_and_stops_cleanly(
    tmp_path: Path, mosquitto: Any
) -> None:
    collector = ServingCollector(tmp_path / "collector", mosquitto.url)
    recorder = MqttRecorder(mosquitto.host, mosquitto.port)
    threads_before = set(threading.enumerate())
    fleet = Fleet(
        FleetOptions(
            mqtt_url=mosquitto.url,
            workdir=tmp_path / "counters",
            devices=DEVICES,
            speed=300,
            collector_url=collector.url,
            token=OPS_TOKEN,
            outage_after_s=1.0,
            outage_for_s=8.0,
            fault_after_s=1.5,
            fault_for_s=7.0,
        )
    )
    reports: list[FleetStatus] = []
    stop = threading.Event()
    try:
        fleet.enrol()
        fleet.start()
        cut, faulty = fleet.counters[-1], fleet.counters[-2]
        driver = threading.Thread(
            target=fleet.run,
            args=(stop,),
            kwargs={"report": reports.append, "report_every_s": 0.5, "duration_s": 14},
        )
        driver.start()
        collector.wait_until("the uplink cut", lambda: not cut.online, timeout_s=10)
        seq = cut.agent.outbox.last_seq
        cut.press(2)  # a walk-up rating while the counter is offline
        # It takes the next seq in the durable outbox at once; its delivery after the outage is
        # checked below (acked_seq == last_seq). Depth is not compared: on a loaded machine the
        # cut may be seen so late that the counter is back and the rating acked before the read.
        assert cut.agent.outbox.last_seq == seq + 1, "the rating is written to the outbox"
        collector.wait_until("back online", lambda: cut.online, timeout_s=15)
        driver.join(timeout=30)
        assert not driver.is_alive()
        # The backlog drains once the counter is back (acks come from the collector).
        collector.wait_until(
            "every outbox drained", lambda: all(c.agent.outbox.depth == 0 for c in fleet.counters)
        )
        written = {c.device_id: c.agent.outbox.last_seq for c in fleet.counters}
    finally:
        stop.set()
        fleet.stop()
    try:
        collector.wait_until(
            "every device offline after stop",
            lambda: not any(d["online"] for d in collector.get("/api/v1/devices")["items"]),
        )
        devices = {d["device_id"]: d for d in collector.get("/api/v1/devices")["items"]}
        summary = collector.get("/api/v1/ratings/summary")
    finally:
        recorder.close()
        collector.stop()

    assert set(devices) == set(written)
    for device_id, device in devices.items():
        assert device["registered"], device_id
        assert device["acked_seq"] == written[device_id] > 0, device
        assert device["missing_seqs"] == 0, device
    assert summary["total"] > 0, summary
    assert summary["verified_share"] > 0, summary

    # The outage: offline (Last Will) while the fleet ran, then online again, with a backlog.
    states = [json.loads(p)["state"] for p in recorder.payloads(f"/{cut.device_id}/state")]
    assert states[0] == "online"
    assert "online" in states[states.index("offline") :], states
    assert states[-1] == "offline"
    assert any(cut.device_id in r.offline for r in reports)
    assert any(faulty.device_id in r.faulted for r in reports)

    # The reader fault: a fault event and a heartbeat saying "error".
    faults = [json.loads(p) for p in recorder.payloads(f"/{faulty.device_id}/events")]
    assert any(
        e["type"] == "fault"
        and e["body"]["component"] == "reader"
        and e["body"]["code"] == "reader_lost"
        for e in faults
    )
    heartbeats = [
        json.loads(p)["body"] for p in recorder.payloads(f"/{faulty.device_id}/heartbeat")
    ]
    assert "error" in {h["reader"] for h in heartbeats}

    # Office time, never ahead of the real clock.
    stamps = [
        datetime.fromisoformat(json.loads(p)["ts"])
        for m in ("/events", "/heartbeat", "/location")
        for p in recorder.payloads(m)
    ]
    assert stamps
    assert all(ts.utcoffset() == ICT.utcoffset(None) for ts in stamps)
    assert max(stamps) <= now()
    assert min(stamps) >= fleet.clock.start

    def leftovers() -> list[str]:
        left = [t for t in set(threading.enumerate()) - threads_before if t.is_alive()]
        return [t.name for t in left if not t.daemon or t.name.startswith(("mqtt-", "link"))]

    deadline = time.monotonic() + 10  # timers of gpiozero's LED blinks end on their own
    while leftovers() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not leftovers()
