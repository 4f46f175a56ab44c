"""Benchmark: a 100k-event backlog drained from the agent's outbox after an outage.

1. Fill the outbox with N rating events through ``Outbox.append`` (one fsync'd transaction
   each: the durable write rate while offline).
2. Start an acknowledging collector double in this process (paho v5 subscriber, dedup by id,
   acks the highest contiguous seq every 50 ms; JSON-parsed, not validated, so that the
   harness is not the bottleneck) and ``python -m agent run`` in its own
   process; time from the agent coming online until the collector has every event and the
   acks have emptied the outbox. Progress every second.
3. Baselines in the same run, with the same payloads and window: a bare paho publisher to
   the same collector double (the harness's own ceiling: compare the agent with this), and
   with no subscriber at all (the ceiling of one Python publisher here).

    .venv/bin/python tests/bench/bench_agent_drain.py [--events 100000] [--window 1000]
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from agent.outbox import Outbox
from protocols import Channel, Rating, RatingBody, new_message_id, now, topic
from tests.agent.agent_rig import ROOT, config_data, write_toml
from tests.agent.collector_double import CollectorDouble
from tests.fixtures.broker import MosquittoBroker

DEVICE = "bench-drain-01"


def fill(path: Path, count: int) -> float:
    outbox = Outbox(path, DEVICE, None)
    body = RatingBody(session=None, score=4, scale=5, verified=False)

    def build(seq: int) -> Rating:
        return Rating(v=1, id=new_message_id(), device=DEVICE, ts=now(), seq=seq, body=body)

    t0 = time.perf_counter()
    for i in range(count):
        outbox.append(build)
        if (i + 1) % 20000 == 0:
            print(f"  filled {i + 1}/{count}", flush=True)
    elapsed = time.perf_counter() - t0
    outbox.close()
    return count / elapsed


def drain(broker: MosquittoBroker, work: Path, count: int, window: int) -> float:
    """Run ``python -m agent run`` (its own process, as on the Pi) against the backlog; the
    collector double acknowledges in this process. Returns events/s from the agent coming
    online to the collector having every event and the agent's outbox being empty."""
    collector = CollectorDouble(broker.host, broker.port, DEVICE, persistent=False, validate=False)
    collector.keep_raw = False
    collector.start()
    data = config_data(
        work,
        broker.url,
        device={"id": DEVICE},
        mqtt={"window": window},
        outbox={"republish_after_s": 600},
        heartbeat={"interval_s": 3600},
    )
    config = write_toml(work / "agent.toml", data)
    log = (work / "agent.log").open("wb")
    agent = subprocess.Popen(
        [sys.executable, "-m", "agent", "run", "--config", str(config)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while not collector.messages("state") and time.monotonic() < deadline:
            time.sleep(0.01)
        t0 = time.perf_counter()
        next_report = t0 + 1
        while collector.acked < count:
            time.sleep(0.01)
            t = time.perf_counter()
            if t >= next_report:
                next_report += 1
                print(f"  {t - t0:5.1f} s: collector has {collector.acked}/{count}", flush=True)
            if t - t0 > 600:
                raise SystemExit("drain did not finish in 10 minutes")
        elapsed = time.perf_counter() - t0
        wait_for_empty_outbox(Path(data["outbox"]["path"]))
    finally:
        agent.terminate()
        agent.wait(30)
        collector.stop()
    return count / elapsed


def wait_for_empty_outbox(path: Path) -> None:
    """The agent applies the collector's last ack shortly after: read its outbox (WAL lets a
    second process read) until it is empty."""
    deadline = time.monotonic() + 15
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        while db.execute("SELECT count(*) FROM events").fetchone()[0]:
            if time.monotonic() > deadline:
                raise SystemExit("the collector's acks did not empty the outbox")
            time.sleep(0.05)


def paho_baseline(
    broker: MosquittoBroker, payloads: list[bytes], window: int, *, collector: bool
) -> float:
    """A bare paho publisher (in this process) sending ``payloads`` in windows of ``window``
    (waking the sender once per half window). With ``collector`` the same collector double
    receives and acks, and the clock stops when it has them all: the harness's own ceiling
    for the agent's figure. Without, the clock stops at the last PUBACK."""
    device = "bench-baseline-01" if collector else "bench-baseline-02"
    double = None
    if collector:
        double = CollectorDouble(broker.host, broker.port, device, persistent=False, validate=False)
        double.keep_raw = False
        double.start()
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=f"{device}-pub",
        protocol=MQTTProtocolVersion.MQTTv5,
    )
    client.max_inflight_messages_set(0)
    cond = threading.Condition()
    acked = [0]

    def on_publish(*_a: Any) -> None:
        with cond:
            acked[0] += 1
            cond.notify()

    client.on_publish = on_publish
    connected = threading.Event()
    client.on_connect = lambda *_a: connected.set()
    client.connect(broker.host, broker.port)
    client.loop_start()
    if not connected.wait(30):  # timed publishes start only once the broker accepted us
        raise RuntimeError("no CONNACK from the broker within 30 s")
    name = topic(device, Channel.EVENTS)
    count = len(payloads)
    t0 = time.perf_counter()
    for i, payload in enumerate(payloads):
        if i - acked[0] >= window:
            with cond:
                cond.wait_for(lambda i=i: i - acked[0] < window // 2, timeout=60)
        client.publish(name, payload.replace(DEVICE.encode(), device.encode()), qos=1)
    with cond:
        cond.wait_for(lambda: acked[0] >= count, timeout=300)
    if double is not None:
        while double.acked < count and time.perf_counter() - t0 < 300:
            time.sleep(0.01)
    elapsed = time.perf_counter() - t0
    client.disconnect()
    client.loop_stop()
    if double is not None:
        double.stop()
    return count / elapsed


def sample_payloads(path: Path, count: int) -> list[bytes]:
    """The first ``count`` stored events (real payloads, seq 1..count)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT payload FROM events ORDER BY seq LIMIT ?", (count,)).fetchall()
    return [bytes(r[0]) for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--window", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-drain-") as tmp:
        broker = MosquittoBroker(Path(tmp) / "broker")
        broker.start()
        try:
            print(f"filling the outbox with {args.events} events (fsync per event)")
            work = Path(tmp)
            (work / "state").mkdir()
            fill_rate = fill(work / "state" / "outbox.sqlite3", args.events)
            payloads = sample_payloads(work / "state" / "outbox.sqlite3", args.events)
            print(f"draining through {broker.url}, window {args.window}")
            rate = drain(broker, work, args.events, args.window)
            print("baselines: bare paho QoS 1 publisher of the same payloads, same window")
            base = paho_baseline(broker, payloads, args.window, collector=False)
            base_e2e = paho_baseline(broker, payloads, args.window, collector=True)
        finally:
            broker.stop()
    print(f"outbox durable appends          {fill_rate:9.0f} events/s")
    print(f"agent drain, collector acked    {rate:9.0f} events/s (agent process; outbox empty)")
    print(f"bare paho -> collector acked    {base_e2e:9.0f} msg/s (same collector double)")
    print(f"bare paho publish -> PUBACK     {base:9.0f} msg/s (no subscriber)")


if __name__ == "__main__":
    main()
