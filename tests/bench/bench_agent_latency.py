"""Benchmark: button press -> broker PUBACK of the rating event, through the whole agent path
(MockFactory pin -> session machine -> SQLite outbox commit with fsync -> delivery -> paho ->
private Mosquitto -> PUBACK on paho's thread). Baseline in the same run: a bare paho QoS 1
publish -> PUBACK on the same broker, so the difference is what the agent adds.

    .venv/bin/python tests/bench/bench_agent_latency.py [--presses 500]
"""

from __future__ import annotations

import argparse
import statistics
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
from agent.runtime import Agent
from tests.fixtures.broker import MosquittoBroker

DEVICE = "bench-latency-01"


def figures(name: str, samples: list[float]) -> None:
    ms = sorted(s * 1000 for s in samples)
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
    print(
        f"{name:<28} n={len(ms):<5} median {statistics.median(ms):6.2f} ms"
        f"   p99 {p99:6.2f} ms   max {ms[-1]:6.2f} ms"
    )


def agent_latency(broker: MosquittoBroker, workdir: Path, presses: int) -> list[float]:
    config = AgentConfig(
        device={"id": DEVICE},
        mqtt={"url": broker.url},
        outbox={"path": str(workdir / "outbox.sqlite3"), "min_disk_free_mb": 0},
        session={"min_press_interval_s": 0},
        panel={"pin_factory": "mock", "ack_blink_s": 0.01, "ack_blinks": 1},
        card={"backend": "none"},
        location={"gpsd": False},
        heartbeat={"interval_s": 3600},
    )
    pins = MockFactory()
    agent = Agent(config, pin_factory=pins, clock=SystemClock())
    acked = threading.Event()
    stamp: list[float] = []
    original = agent.puback

    def puback(mid: int, ok: bool) -> None:
        stamp.append(time.perf_counter())
        acked.set()
        original(mid, ok)

    agent.puback = puback  # type: ignore[method-assign]
    agent.start()
    deadline = time.monotonic() + 10
    while not agent.publisher.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # the birth message's PUBACK is in
    pin = pins.pin(config.panel.buttons[2])
    samples = []
    try:
        for i in range(presses):
            acked.clear()
            stamp.clear()
            t0 = time.perf_counter()
            pin.drive_low()
            if not acked.wait(5):
                raise SystemExit(f"press {i}: no PUBACK within 5 s")
            samples.append(stamp[0] - t0)
            pin.drive_high()
            time.sleep(0.005)
            if (i + 1) % 100 == 0:
                print(f"  agent: {i + 1}/{presses} presses", flush=True)
    finally:
        agent.stop()
    return samples


def paho_latency(broker: MosquittoBroker, count: int) -> list[float]:
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id="bench-paho-baseline",
        protocol=MQTTProtocolVersion.MQTTv5,
    )
    done = threading.Event()
    when: list[float] = []

    def on_publish(*_a: Any) -> None:
        when.append(time.perf_counter())
        done.set()

    client.on_publish = on_publish
    connected = threading.Event()
    client.on_connect = lambda *_a: connected.set()
    client.connect(broker.host, broker.port)
    client.loop_start()
    if not connected.wait(30):  # timed publishes start only once the broker accepted us
        raise RuntimeError("no CONNACK from the broker within 30 s")
    payload = b"x" * 330  # about the size of a rating event
    samples = []
    for _ in range(count):
        done.clear()
        when.clear()
        t0 = time.perf_counter()
        client.publish("bench/latency", payload, qos=1)
        done.wait(5)
        samples.append(when[0] - t0)
    client.disconnect()
    client.loop_stop()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--presses", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        broker = MosquittoBroker(Path(tmp) / "broker")
        broker.start()
        try:
            print(f"broker {broker.url}; {args.presses} presses, one at a time")
            baseline = paho_latency(broker, args.presses)
            samples = agent_latency(broker, Path(tmp), args.presses)
        finally:
            broker.stop()
    figures("paho publish -> PUBACK", baseline)
    figures("press -> PUBACK (agent)", samples)


if __name__ == "__main__":
    main()
