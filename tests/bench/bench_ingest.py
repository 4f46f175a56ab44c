"""Benchmark: collector ingest throughput and latency against a private Mosquitto.

One publisher process loads the same stream of QoS 1 rating events (N simulated devices,
windows of <= 1000 in flight, far below paho's 65,535 packet ids) into the persistent sessions
of four consumers, then each consumer drains the whole backlog on its own:

- ``mosquitto_sub`` (C, MQTT v5, QoS 1): the broker's delivery ceiling;
- a bare paho subscriber (MQTT v5, manual ack; counts and acknowledges, nothing else);
- the collector, ``python -m collector``, on SQLite, then on PostgreSQL (stored rows counted).

Reported: sustained rate of each (from first to last message or stored row), the collector's
ratios to the bare paho subscriber and to mosquitto_sub, then publish -> commit latency
(seen by the device as its ``acks``; an upper bound of the commit) at about 1,000 events/s.

    .venv/bin/python tests/bench/bench_ingest.py [--devices 20] [--events 100000] [--no-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import asyncpg
import paho.mqtt.client as mqtt
import psutil
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from protocols import Channel, Rating, RatingBody, encode, new_message_id, now, topic
from tests.fixtures.broker import MosquittoBroker
from tests.fixtures.collector_process import CollectorProcess
from tests.fixtures.postgres import create_database, drop_database

REPO = Path(__file__).resolve().parents[2]
WINDOW = 1000
SESSION_EXPIRY = 3600


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def device_ids(count: int, prefix: str = "bench-dev") -> list[str]:
    return [f"{prefix}-{i:04d}" for i in range(count)]


def event(device: str, seq: int) -> bytes:
    body = RatingBody(session=None, score=1 + seq % 5, scale=5, verified=bool(seq % 2))
    return encode(Rating(v=1, id=new_message_id(), device=device, ts=now(), seq=seq, body=body))


# --- child process roles ---------------------------------------------------------------------
def role_publish(argv: list[str]) -> None:
    """Publish per_device events for each device, interleaved; rate 0 = as fast as possible.
    Prints one JSON line per published (device, seq) batch when rate > 0 (for latency).
    ``argv``: url, devices, per_device, first_seq, rate, device id prefix."""
    url, prefix = argv[0], argv[5]
    devices, per_device, first_seq, rate = int(argv[1]), int(argv[2]), int(argv[3]), float(argv[4])
    host, port = url.removeprefix("mqtt://").split(":")
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{uuid.uuid4().hex[:6]}")
    client.max_inflight_messages_set(WINDOW)
    client.max_queued_messages_set(0)
    client.connect(host, int(port))
    client.loop_start()
    ids = device_ids(devices, prefix)
    topics = {d: topic(d, Channel.EVENTS) for d in ids}
    pending: list[mqtt.MQTTMessageInfo] = []
    start = time.perf_counter()
    sent = 0
    for seq in range(first_seq, first_seq + per_device):
        stamp = time.time()
        for d in ids:
            pending.append(client.publish(topics[d], event(d, seq), qos=1))
            sent += 1
            if len(pending) >= WINDOW:
                for info in pending:
                    info.wait_for_publish(60)
                pending.clear()
        if rate > 0:
            print(json.dumps({"seq": seq, "t": stamp}), flush=True)
            delay = start + sent / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
    for info in pending:
        info.wait_for_publish(60)
    client.disconnect()
    client.loop_stop()


def role_bare(url: str, client_id: str, expected: int, prepare: bool) -> None:
    """A bare paho v5 subscriber with manual acks: count and acknowledge, nothing else."""
    host, port = url.removeprefix("mqtt://").split(":")
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=True
    )
    count = 0
    first = last = 0.0
    cpu_first = cpu_last = 0.0
    done = threading.Event()
    subscribed = threading.Event()

    def on_message(c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        nonlocal count, first, last, cpu_first, cpu_last
        c.ack(msg.mid, msg.qos)
        count += 1
        last = time.perf_counter()
        cpu_last = time.process_time()
        if count == 1:
            first, cpu_first = last, cpu_last
        if count >= expected:
            done.set()

    client.on_message = on_message
    client.on_subscribe = lambda *_a: subscribed.set()
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = SESSION_EXPIRY
    client.connect(host, int(port), clean_start=False, properties=props)
    client.subscribe("cf/v1/devices/+/events", qos=1)
    client.loop_start()
    if prepare:  # the persistent session exists once the broker granted the subscription
        if not subscribed.wait(30):
            raise RuntimeError("bare subscriber: no SUBACK within 30 s")
    else:
        done.wait(600)
    client.disconnect()
    client.loop_stop()
    print(
        json.dumps({"count": count, "seconds": last - first, "cpu": cpu_last - cpu_first}),
        flush=True,
    )


# --- orchestration ---------------------------------------------------------------------------
def run_role(*args: str, capture: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=capture,
        text=True,
        check=True,
        cwd=REPO,
        timeout=900,
    )


def mosquitto_sub(url: str, client_id: str, count: int) -> list[str]:
    host, port = url.removeprefix("mqtt://").split(":")
    cmd = [
        "mosquitto_sub",
        "-h",
        host,
        "-p",
        port,
        "-V",
        "5",
        "-q",
        "1",
        "-c",
        "-i",
        client_id,
        "-x",
        str(SESSION_EXPIRY),
        "-t",
        "cf/v1/devices/+/events",
    ]
    return [*cmd, "-C", str(count)] if count else [*cmd, "-W", "1"]


def cpu_seconds(pid: int, *, children: bool = True) -> float:
    """User + system CPU of a process and its children (the collector's decode worker)."""
    proc = psutil.Process(pid)
    total = 0.0
    for p in [proc, *(proc.children(recursive=True) if children else [])]:
        with contextlib.suppress(psutil.Error):
            t = p.cpu_times()
            total += t.user + t.system
    return total


MAIN_US: dict[str, float] = {}
"""collector -> CPU µs per event of its main process alone (paho, storage, acks)."""
CPU_US: dict[str, tuple[float, float]] = {}
"""consumer -> (its CPU µs per event, the broker's CPU µs per event) during the drain."""


def drain_mosquitto_sub(url: str, expected: int, broker_pid: int) -> float:
    start = time.perf_counter()
    broker_cpu = cpu_seconds(broker_pid)
    proc = subprocess.Popen(
        mosquitto_sub(url, "bench-msub", expected), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None
    first = None
    got = 0
    for _line in proc.stdout:
        got += 1
        if first is None:
            first = time.perf_counter()
    _pid, _status, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    end = time.perf_counter()
    broker_used = cpu_seconds(broker_pid) - broker_cpu
    CPU_US["mosquitto_sub"] = (
        (usage.ru_utime + usage.ru_stime) / expected * 1e6,
        broker_used / expected * 1e6,
    )
    if got < expected:
        raise RuntimeError(f"mosquitto_sub drained {got} of {expected}")
    log(f"  mosquitto_sub: connect -> done {end - start:.2f} s")
    return expected / (end - (first or start))


class CollectorRun:
    """``python -m collector`` with a persistent session; stored rows counted in its database."""

    def __init__(self, url: str, db_url: str, workdir: Path, client_id: str) -> None:
        self.db_url = db_url
        self.process = CollectorProcess(
            workdir,
            {"CF_MQTT_URL": url, "CF_DB_URL": db_url, "CF_MQTT_CLIENT_ID": client_id},
            name=client_id,
            log_level="WARNING",
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def start(self) -> None:
        """Start and wait until ready (database migrated, subscription granted)."""
        self.process.start_ready()

    def stop(self) -> None:
        self.process.stop(timeout_s=30)

    def stored(self) -> int:
        if self.db_url.startswith("postgresql://"):
            return asyncio.run(_pg_count(self.db_url))
        with sqlite3.connect(self.db_url, timeout=10) as conn:
            return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])


async def _pg_count(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM events"))
    finally:
        await conn.close()


def drain_collector(run: CollectorRun, expected: int, name: str, broker_pid: int) -> float:
    """Start the collector on its queued backlog; the rate from first to last stored row."""
    run.start()
    first_t = None
    first_n = 0
    cpu0 = broker0 = main0 = 0.0
    last_report = time.monotonic()
    while True:
        n = run.stored()
        t = time.perf_counter()
        if first_t is None and n > 0:
            first_t, first_n = t, n
            cpu0, broker0 = cpu_seconds(run.pid), cpu_seconds(broker_pid)
            main0 = cpu_seconds(run.pid, children=False)
        if n >= expected:
            break
        if time.monotonic() - last_report > 2:
            log(f"  {name}: {n}/{expected} stored")
            last_report = time.monotonic()
        time.sleep(0.05)
    assert first_t is not None
    drained = expected - first_n
    if drained <= 0:
        raise RuntimeError(
            f"{name}: stored the whole backlog before the first count; raise --events"
        )
    CPU_US[name] = (
        (cpu_seconds(run.pid) - cpu0) / drained * 1e6,
        (cpu_seconds(broker_pid) - broker0) / drained * 1e6,
    )
    MAIN_US[name] = (cpu_seconds(run.pid, children=False) - main0) / drained * 1e6
    run.stop()
    return (expected - first_n) / max(t - first_t, 1e-6)


def latency(url: str, devices: int, seconds: int, workdir: Path) -> tuple[float, float, int]:
    """Publish about 1,000 events/s to a live collector (SQLite); publish -> ack latency."""
    run = CollectorRun(url, str(workdir / "latency.db"), workdir, "bench-latency")
    run.start()
    host, port = url.removeprefix("mqtt://").split(":")
    acks: list[tuple[float, str, int]] = []
    watcher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-acks")
    watcher.on_message = lambda _c, _u, m: acks.append(
        (time.time(), (d := json.loads(m.payload))["device"], d["acked_seq"])
    )
    subscribed = threading.Event()
    watcher.on_subscribe = lambda *_a: subscribed.set()
    watcher.connect(host, int(port))
    watcher.subscribe("cf/v1/devices/+/acks", qos=1)
    watcher.loop_start()
    if not subscribed.wait(30):  # acks published before the SUBACK would be missed
        raise RuntimeError("ack watcher: no SUBACK within 30 s")
    per_device = seconds * 1000 // devices
    proc = run_role("publish", url, str(devices), str(per_device), "1", "1000", "bench-live")
    sent_at = {int(r["seq"]): float(r["t"]) for r in map(json.loads, proc.stdout.splitlines())}
    deadline = time.monotonic() + 20
    ids = device_ids(devices, "bench-live")
    while time.monotonic() < deadline:
        covered: dict[str, int] = {}
        for _t, d, s in list(acks):
            covered[d] = max(covered.get(d, 0), s)
        if all(covered.get(d, 0) >= per_device for d in ids):
            break
        time.sleep(0.1)
    watcher.loop_stop()
    run.stop()
    # For each (device, seq): the first ack that covers it.
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
    p50 = statistics.median(lat) * 1000
    p99 = lat[int(0.99 * (len(lat) - 1))] * 1000
    return p50, p99, len(lat)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--events", type=int, default=100_000, help="backlog per consumer")
    parser.add_argument("--latency-seconds", type=int, default=10)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    per_device = args.events // args.devices
    expected = per_device * args.devices
    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    broker = MosquittoBroker(
        workdir / "broker",
        mosquitto_max_queued_messages=expected * 2,
        mosquitto_autosave_interval=3600,
    )
    broker.start()
    url = broker.url
    pg_name = None
    results: dict[str, float] = {}
    try:
        runs = {"sqlite": CollectorRun(url, str(workdir / "bench.db"), workdir, "bench-sqlite")}
        if not args.no_postgres:
            pg_name, pg_url = create_database()
            runs["postgres"] = CollectorRun(url, pg_url, workdir, "bench-postgres")
        log(f"registering sessions; broker {url}, work dir {workdir}")
        for run in runs.values():  # creates the schema and the persistent session, then leaves
            run.start()
            run.stop()
        run_role("bare", url, "bench-bare", "0", "prepare")
        subprocess.run(mosquitto_sub(url, "bench-msub", 0), check=False, capture_output=True)
        log(f"publishing {expected} events from {args.devices} devices (QoS 1, window {WINDOW})")
        t0 = time.perf_counter()
        run_role("publish", url, str(args.devices), str(per_device), "1", "0", "bench-dev")
        pub_rate = expected / (time.perf_counter() - t0)
        log(f"  publisher: {pub_rate:,.0f} events/s (queued for {2 + len(runs)} sessions)")
        broker_pid = broker.pid
        assert broker_pid is not None
        results["mosquitto_sub"] = drain_mosquitto_sub(url, expected, broker_pid)
        log(f"mosquitto_sub drained {results['mosquitto_sub']:,.0f} events/s")
        broker_cpu = cpu_seconds(broker_pid)
        bare = json.loads(run_role("bare", url, "bench-bare", str(expected), "drain").stdout)
        CPU_US["bare paho v5"] = (
            bare["cpu"] / expected * 1e6,
            (cpu_seconds(broker_pid) - broker_cpu) / expected * 1e6,
        )
        if bare["count"] < expected:
            raise RuntimeError(f"bare paho subscriber got {bare['count']} of {expected}")
        results["bare paho v5"] = bare["count"] / bare["seconds"]
        log(f"bare paho subscriber drained {results['bare paho v5']:,.0f} events/s")
        for name, run in runs.items():
            results[f"collector {name}"] = drain_collector(
                run, expected, f"collector {name}", broker_pid
            )
            log(f"collector ({name}) stored {results[f'collector {name}']:,.0f} events/s")
        log(f"latency at ~1,000 events/s for {args.latency_seconds} s (SQLite)")
        p50, p99, samples = latency(url, args.devices, args.latency_seconds, workdir)
    finally:
        broker.stop()
        if pg_name:
            drop_database(pg_name)
    bare_rate, msub_rate = results["bare paho v5"], results["mosquitto_sub"]
    print()
    print(f"ingest benchmark: {expected} events, {args.devices} devices, 2-core loopback")
    print(f"load average before the run: {load_before:.1f} (2 cores; figures scale with it)")
    print(
        f"{'consumer':<22}{'events/s':>12}{'x bare paho':>13}{'x mosquitto_sub':>17}"
        f"{'CPU us/event':>14}{'broker us/ev':>14}"
    )
    for name, rate in results.items():
        own, brk = CPU_US.get(name, (float("nan"), float("nan")))
        print(
            f"{name:<22}{rate:>12,.0f}{rate / bare_rate:>13.2f}{rate / msub_rate:>17.2f}"
            f"{own:>14.1f}{brk:>14.1f}"
        )
    for name, us in MAIN_US.items():
        print(f"{name}: main process {us:.1f} us/event (the rest is the decode worker)")
    print(
        f"publish -> commit (ack) latency at 1k events/s: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
        f"({samples} events)"
    )
    sqlite_rate = results["collector sqlite"]
    print(
        f"targets: SQLite >= 15,000/s: {'met' if sqlite_rate >= 15000 else 'NOT met'}; "
        f">= 0.7x bare paho: {'met' if sqlite_rate >= 0.7 * bare_rate else 'NOT met'}"
    )
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "publish":
        role_publish(sys.argv[2:8])
    elif len(sys.argv) > 1 and sys.argv[1] == "bare":
        role_bare(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "prepare")
    else:
        sys.exit(main())
