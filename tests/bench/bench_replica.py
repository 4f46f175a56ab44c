"""Benchmark: replay lag of a streaming hot standby under ingest, and the read API on a reader.

A private PostgreSQL 15 primary and hot standby (``tests/fixtures/pg_standby.py``), a private
Mosquitto, a writer collector on the primary and a ``CF_ROLE=reader`` collector on the standby.
One publisher sends N QoS 1 ratings from 20 devices as fast as it can; while the writer ingests
them, one thread samples the replay lag every ~0.05 s (bytes: ``pg_wal_lsn_diff`` of the primary's
current LSN and the standby's replay LSN; seconds: the time until a marker row committed on the
primary is visible on the standby) and another asks the read API (the fleet view of one device,
``GET /api/v1/devices/{id}``, rotating over the 20) of the reader and of the writer in turn, the
writer being the baseline: what the same read costs on the primary's own collector. Printed:
p50/p95/max lag, read p50/p95 per side while idle and during ingest, and the load average.

    .venv/bin/python tests/bench/bench_replica.py [--events 50000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.ingest.measure import REPO, RowCounter, log
from tests.bench.ingest.roles import device_ids
from tests.fixtures.broker import MosquittoBroker
from tests.fixtures.collector_process import OPS_TOKEN, CollectorProcess
from tests.fixtures.pg_cluster import PgClusterError
from tests.fixtures.pg_standby import StandbyPair, standby_pair
from tests.fixtures.ports import free_port

DEVICES = 20
PREFIX = "bench-replica"
AUTH = {"Authorization": f"Bearer {OPS_TOKEN}"}


@dataclass
class Samples:
    lag_bytes: list[float] = field(default_factory=list)
    lag_s: list[float] = field(default_factory=list)
    reads: dict[str, list[float]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


def sample_lag(pair: StandbyPair, samples: Samples, stop: threading.Event) -> None:
    """Bytes behind, then the seconds a marker row takes to become visible on the standby."""
    marker = 0
    while not stop.is_set():
        samples.lag_bytes.append(pair.lag_bytes())
        marker += 1
        start = time.perf_counter()
        pair.fetchval(pair.primary, "INSERT INTO bench_marker VALUES ($1) RETURNING id", marker)
        while pair.fetchval(pair.standby, "SELECT max(id) FROM bench_marker") != marker:
            if time.perf_counter() - start > 60:
                samples.failures.append(f"marker {marker} not visible within 60 s")
                return
            time.sleep(0.002)
        samples.lag_s.append(time.perf_counter() - start)
        stop.wait(0.05)


def read_load(urls: dict[str, str], samples: Samples, stop: threading.Event, pause: float) -> None:
    """The same read on each side in turn, one at a time."""
    clients = {
        name: httpx.Client(base_url=url, headers=AUTH, timeout=30) for name, url in urls.items()
    }
    ids = device_ids(DEVICES, PREFIX)
    i = 0
    try:
        while not stop.is_set():
            for name, client in clients.items():
                start = time.perf_counter()
                response = client.get(f"/api/v1/devices/{ids[i % DEVICES]}")
                samples.reads.setdefault(name, []).append(time.perf_counter() - start)
                if response.status_code != 200:
                    samples.failures.append(f"{name}: {response.status_code} {response.text[:200]}")
            i += 1
            stop.wait(pause)
    finally:
        for client in clients.values():
            client.close()


def idle_reads(urls: dict[str, str], count: int) -> Samples:
    samples = Samples()
    stop = threading.Event()
    thread = threading.Thread(target=read_load, args=(urls, samples, stop, 0.0))
    thread.start()
    while min((len(v) for v in samples.reads.values()), default=0) < count:
        time.sleep(0.05)
    stop.set()
    thread.join()
    return samples


def publish(url: str, per_device: int, first_seq: int) -> subprocess.Popen[bytes]:
    args = ["publish", url, str(DEVICES), str(per_device), str(first_seq), "0", PREFIX]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.bench.ingest.roles", *args],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def start_collectors(
    pair: StandbyPair, broker: MosquittoBroker, workdir: Path
) -> tuple[CollectorProcess, CollectorProcess]:
    writer = CollectorProcess(
        workdir,
        {
            "CF_DB_URL": pair.primary_url(),
            "CF_MQTT_URL": broker.url,
            "CF_BOOTSTRAP_OPS_TOKEN": OPS_TOKEN,
            "CF_MQTT_CLIENT_ID": "bench-replica-writer",
        },
        name="writer",
        log_level="WARNING",
    )
    writer.start_ready(timeout_s=60)
    pair.execute(pair.primary, "CREATE TABLE bench_marker (id INTEGER PRIMARY KEY)")
    pair.grant_reader()
    pair.wait_replayed()
    reader = CollectorProcess(
        workdir,
        {
            "CF_ROLE": "reader",
            "CF_DB_URL": pair.standby_url(),
            "CF_MQTT_URL": f"mqtt://127.0.0.1:{free_port()}",
        },
        name="reader",
        log_level="WARNING",
    )
    reader.start_ready(timeout_s=60)
    return writer, reader


def run(pair: StandbyPair, workdir: Path, events: int, pause: float) -> None:
    per_device = events // DEVICES
    expected = per_device * DEVICES
    broker = MosquittoBroker(workdir / "broker", mosquitto_max_queued_messages=expected * 2)
    broker.start()
    writer = reader = None
    try:
        writer, reader = start_collectors(pair, broker, workdir)
        urls = {"reader (standby)": reader.url, "writer (primary)": writer.url}
        # The devices exist (one event each) before reads start: every read answers 200.
        subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.bench.ingest.roles",
                "publish",
                broker.url,
                str(DEVICES),
                "1",
                "1",
                "0",
                PREFIX,
            ],
            cwd=REPO,
            check=True,
        )
        counter = RowCounter(pair.primary_url())
        while counter.count() < DEVICES:
            time.sleep(0.1)
        pair.wait_replayed()
        idle = idle_reads(urls, 200)
        log(f"ingesting {expected} events from {DEVICES} devices")
        samples = Samples()
        stop = threading.Event()
        threads = [
            threading.Thread(target=sample_lag, args=(pair, samples, stop)),
            threading.Thread(target=read_load, args=(urls, samples, stop, pause)),
        ]
        load_before = os.getloadavg()
        publisher = publish(broker.url, per_device - 1, 2) if per_device > 1 else None
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        while counter.count() < expected:
            if writer.proc is None or writer.proc.poll() is not None:
                raise RuntimeError(f"writer exited: {writer.log_tail()}")
            time.sleep(0.2)
        ingest_s = time.perf_counter() - start
        stop.set()
        for thread in threads:
            thread.join()
        pair.wait_replayed(timeout_s=120)  # the standby holds every event before the next run
        load_after = os.getloadavg()
        counter.close()
        if publisher is not None:
            publisher.wait(timeout=60)
        report(
            expected=expected,
            ingest_s=ingest_s,
            idle=idle,
            during=samples,
            load_before=load_before,
            load_after=load_after,
        )
    finally:
        for process in (reader, writer):
            if process is not None:
                process.stop()
        broker.stop()


def report(
    *,
    expected: int,
    ingest_s: float,
    idle: Samples,
    during: Samples,
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> None:
    print()
    print(
        f"replica benchmark: {expected} QoS 1 events from {DEVICES} devices, loopback, "
        f"PostgreSQL 15 primary + streaming hot standby on this machine ({os.cpu_count()} cores)"
    )
    print(
        f"load average before ingest {load_before[0]:.2f} {load_before[1]:.2f} "
        f"{load_before[2]:.2f}, after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}"
    )
    print(f"writer ingest: {expected / ingest_s:,.0f} events/s ({ingest_s:.1f} s, rows counted)")
    b, s = during.lag_bytes, during.lag_s
    print(
        f"replay lag, bytes ({len(b)} samples): p50 {pct(b, 0.5):,.0f}  p95 {pct(b, 0.95):,.0f}  "
        f"max {max(b, default=0):,.0f}"
    )
    print(
        f"replay lag, marker row visible ({len(s)} samples): p50 {pct(s, 0.5) * 1000:.1f} ms  "
        f"p95 {pct(s, 0.95) * 1000:.1f} ms  max {max(s, default=0) * 1000:.1f} ms"
    )
    print(
        f"{'read GET /api/v1/devices/{id}':<34}{'idle p50':>10}{'idle p95':>10}"
        f"{'ingest p50':>12}{'ingest p95':>12}{'requests':>10}"
    )
    for name, values in during.reads.items():
        quiet = idle.reads.get(name, [])
        print(
            f"{name:<34}{pct(quiet, 0.5) * 1000:>8.1f}ms{pct(quiet, 0.95) * 1000:>8.1f}ms"
            f"{pct(values, 0.5) * 1000:>10.1f}ms{pct(values, 0.95) * 1000:>10.1f}ms"
            f"{len(values):>10}"
        )
    for failure in (idle.failures + during.failures)[:5]:
        print(f"FAILED: {failure}")
    if idle.failures or during.failures:
        raise SystemExit(1)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--events", type=int, default=50_000, help="events to ingest")
    parser.add_argument(
        "--read-pause",
        type=float,
        default=0.01,
        help="seconds between rounds of reads during ingest",
    )
    args = parser.parse_args()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-replica-") as tmp, standby_pair() as pair:
            log(f"primary :{pair.primary.port}, standby :{pair.standby.port}")
            run(pair, Path(tmp), args.events, args.read_pause)
    except PgClusterError as exc:
        print(f"bench_replica: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
