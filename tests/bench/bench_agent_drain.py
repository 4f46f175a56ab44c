"""Benchmark: a 100k-event backlog drained from the agent's outbox after an outage.

1. Fill the outbox with N rating events through ``Outbox.append`` (one fsync'd transaction
   each: the durable write rate while offline).
2. Start an acknowledging collector double (paho v5 subscriber, dedup by id, acks the highest
   contiguous seq every 50 ms) and the agent; time until every event is PUBACKed by the broker
   and until the collector's acks have emptied the outbox. Progress every second.
3. Baseline in the same run: bare paho publishing N QoS 1 messages in windows of the same
   size to the same broker (no subscriber), i.e. the ceiling of one Python publisher here.

    .venv/bin/python tests/bench/bench_agent_drain.py [--events 100000] [--window 1000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import paho.mqtt.client as mqtt
from gpiozero.pins.mock import MockFactory
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from agent.clock import SystemClock
from agent.config import AgentConfig
from agent.outbox import Outbox
from agent.runtime import Agent
from protocols import Rating, RatingBody, new_message_id, now
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


def drain(broker: MosquittoBroker, path: Path, count: int, window: int) -> tuple[float, float]:
    collector = CollectorDouble(broker.host, broker.port, DEVICE, persistent=False)
    collector.keep_raw = False
    collector.start()
    config = AgentConfig(
        device={"id": DEVICE},
        mqtt={"url": broker.url, "window": window},
        outbox={"path": str(path), "min_disk_free_mb": 0, "republish_after_s": 600},
        panel={"pin_factory": "mock"},
        card={"backend": "none"},
        location={"gpsd": False},
        heartbeat={"interval_s": 3600},
    )
    agent = Agent(config, pin_factory=MockFactory(), clock=SystemClock())
    ticker = threading.Thread(target=agent.run, daemon=True)
    t0 = time.perf_counter()
    agent.start()
    ticker.start()
    published_at = acked_at = None
    next_report = t0 + 1
    try:
        while acked_at is None:
            time.sleep(0.02)
            t = time.perf_counter()
            if (
                published_at is None
                and agent.delivery.published >= count
                and not (agent.delivery.in_flight)
            ):
                published_at = t
            if agent.outbox.depth == 0:
                acked_at = t
            if t >= next_report:
                next_report += 1
                print(
                    f"  {t - t0:5.1f} s: published {agent.delivery.published}, collector acked"
                    f" {collector.acked}, outbox depth {agent.outbox.depth}",
                    flush=True,
                )
            if t - t0 > 600:
                raise SystemExit("drain did not finish in 10 minutes")
    finally:
        agent.request_stop()
        ticker.join(5)
        agent.stop()
        collector.stop()
    assert collector.acked == count, "collector is missing events"
    return count / ((published_at or acked_at) - t0), count / (acked_at - t0)


def paho_baseline(broker: MosquittoBroker, count: int, window: int) -> float:
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id="bench-paho-drain",
        protocol=MQTTProtocolVersion.MQTTv5,
    )
    client.max_inflight_messages_set(window)
    outstanding = threading.Semaphore(window)
    done = threading.Event()
    acked = [0]

    def on_publish(*_a: Any) -> None:
        acked[0] += 1
        outstanding.release()
        if acked[0] == count:
            done.set()

    client.on_publish = on_publish
    client.connect(broker.host, broker.port)
    client.loop_start()
    time.sleep(0.3)
    payload = b"x" * 330
    t0 = time.perf_counter()
    for _ in range(count):
        outstanding.acquire()
        client.publish("bench/drain", payload, qos=1)
    done.wait(300)
    elapsed = time.perf_counter() - t0
    client.disconnect()
    client.loop_stop()
    return count / elapsed


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
            fill_rate = fill(Path(tmp) / "outbox.sqlite3", args.events)
            print(f"draining through {broker.url}, window {args.window}")
            pub_rate, ack_rate = drain(
                broker, Path(tmp) / "outbox.sqlite3", args.events, args.window
            )
            print("baseline: bare paho QoS 1 publisher, same window")
            base = paho_baseline(broker, args.events, args.window)
        finally:
            broker.stop()
    print(f"outbox durable appends          {fill_rate:9.0f} events/s")
    print(f"agent drain, broker PUBACKs     {pub_rate:9.0f} events/s")
    print(f"agent drain, collector acked    {ack_rate:9.0f} events/s (outbox empty)")
    print(f"bare paho publish -> PUBACK     {base:9.0f} msg/s")


if __name__ == "__main__":
    main()
