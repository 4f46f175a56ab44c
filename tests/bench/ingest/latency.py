"""Publish -> committed and acked latency at a steady rate against a live collector.

The device's view: the time from publishing an event to the first retained ``acks`` whose
``acked_seq`` covers it (an upper bound of the commit: the ack is published after it).
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from tests.bench.ingest.measure import run_role
from tests.bench.ingest.roles import device_ids, split_url
from tests.fixtures.collector_process import CollectorProcess


def latency(
    url: str, db_url: str, workdir: Path, *, devices: int, seconds: int, rate: int
) -> tuple[float, float, int]:
    """(p50 ms, p99 ms, events measured); every event published must be acked."""
    process = CollectorProcess(
        workdir,
        {"CF_MQTT_URL": url, "CF_DB_URL": db_url, "CF_MQTT_CLIENT_ID": "bench-latency"},
        name="bench-latency",
        log_level="WARNING",
    )
    process.start_ready(timeout_s=60)
    acks: list[tuple[float, str, int]] = []
    watcher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-acks")
    watcher.on_message = lambda _c, _u, m: acks.append(
        (time.time(), (d := json.loads(m.payload))["device"], d["acked_seq"])
    )
    subscribed = threading.Event()
    watcher.on_subscribe = lambda *_a: subscribed.set()
    watcher.connect(*split_url(url))
    watcher.subscribe("cf/v1/devices/+/acks", qos=1)
    watcher.loop_start()
    try:
        if not subscribed.wait(30):  # acks published before the SUBACK would be missed
            raise RuntimeError("ack watcher: no SUBACK within 30 s")
        per_device = seconds * rate // devices
        prefix = f"bench-live-{workdir.name.lower()}"
        out = run_role("publish", url, str(devices), str(per_device), "1", str(rate), prefix)
        sent_at = {int(r["seq"]): float(r["t"]) for r in map(json.loads, out.stdout.splitlines())}
        ids = device_ids(devices, prefix)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            covered: dict[str, int] = {}
            for _t, d, s in list(acks):
                covered[d] = max(covered.get(d, 0), s)
            if all(covered.get(d, 0) >= per_device for d in ids):
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("latency: not every published event was acknowledged in 30 s")
    finally:
        watcher.loop_stop()
        process.stop(timeout_s=30)
    best: dict[str, int] = {}
    lat: list[float] = []
    live = set(ids)
    for t, d, s in sorted(acks):
        if d not in live:  # retained acks of the backlog devices
            continue
        for seq in range(best.get(d, 0) + 1, s + 1):
            if seq in sent_at:
                lat.append(t - sent_at[seq])
        best[d] = max(best.get(d, 0), s)
    lat.sort()
    return statistics.median(lat) * 1000, lat[int(0.99 * (len(lat) - 1))] * 1000, len(lat)
