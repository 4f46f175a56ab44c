"""Benchmark: thousands of devices on one Mosquitto, a broker restart, and the fleet API meanwhile.

Issue 14, target 3. A private Mosquitto (the production templates, with a test ACL: each device
logs in with its device id as username, the production ACL's ``%u`` patterns confine it to its
own topics; the collector logs in as ``collector``), the real collector (``python -m collector``,
SQLite or PostgreSQL), and ``python -m simulator --mass N`` in its own process: N devices, each
its own MQTT v5 session with client id, Last Will, a heartbeat every 60 s and ratings at
office-hour rates, on one asyncio loop.

1. connect: from the simulator's start until all N are connected (after registering them all
   at the collector over its API);
2. baseline: the fleet API's latency with the fleet idle (connected, ratings flowing);
3. storm: Mosquitto restarted (SIGTERM, persistence written, ``--down-s`` later started
   again; ratings go on meanwhile, into the devices' outboxes); every device
   reconnects with jitter and sends what it wrote meanwhile; timed from the broker listening
   again until every device is connected and has the collector's ack for everything it wrote
   before its reconnect; the fleet API is probed throughout;
4. lost: the simulator stops producing and waits for its last acks; every event it wrote must
   be in the collector's database exactly once (lost = written - stored, must be 0).

The fleet API probe (this process, one request at a time, ~20 requests/s): the fleet view
``GET /api/v1/devices?limit=50&offset=<random>`` and ``GET /api/v1/devices/{random id}`` with a
viewer token. Target: p95 < 200 ms during the storm.

    .venv/bin/python tests/bench/bench_fleet_storm.py [--devices 5000] [--db sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402

from simulator.mass.limits import raise_nofile  # noqa: E402
from simulator.offices import place_counters  # noqa: E402
from tests.fixtures.broker import MosquittoBroker  # noqa: E402
from tests.fixtures.collector_process import OPS_TOKEN, CollectorProcess  # noqa: E402
from tests.fixtures.postgres import create_database, drop_database  # noqa: E402

API_P95_TARGET_MS = 200.0


def start_broker(work: Path, devices: int) -> MosquittoBroker:
    """The production templates with the test ACL; room for every device (max_connections)."""
    broker = MosquittoBroker(
        work / "broker",
        acl={"mosquitto_collector_users": ["collector"]},
        anonymous=True,  # no password file: the username (= device id) is the ACL identity
        listener_options={"max_connections": str(devices + 100)},
    )
    broker.start()
    return broker


@contextmanager
def collector(work: Path, broker: MosquittoBroker, db: str) -> Iterator[CollectorProcess]:
    db_url, pg_name = str(work / "collector.db"), None
    if db == "postgres":
        pg_name, db_url = create_database()
    proc = CollectorProcess(
        work / "collector",
        {
            "CF_MQTT_URL": f"mqtt://collector@{broker.host}:{broker.port}",
            "CF_DB_URL": db_url,
            "CF_BOOTSTRAP_OPS_TOKEN": OPS_TOKEN,
            # registration makes one call per device with one token: above the default limit
            "CF_RATE_LIMIT_TOKEN": "1000000/minute",
        },
        log_level="WARNING",
    )
    proc.start_ready(60)
    proc.db_url = db_url  # type: ignore[attr-defined]
    try:
        yield proc
    finally:
        proc.stop()
        if pg_name is not None:
            drop_database(pg_name)


class Simulator:
    """``python -m simulator --mass N`` with JSON status lines, read on a thread."""

    def __init__(self, work: Path, broker: MosquittoBroker, api_url: str, devices: int) -> None:
        token_file = work / "token"
        token_file.write_text(OPS_TOKEN)
        self.log = (work / "simulator.log").open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "simulator",
                "--mass",
                str(devices),
                "--mqtt-url",
                broker.url,
                "--collector-url",
                api_url,
                "--token-file",
                str(token_file),
                "--status-json",
                "--status-every",
                "0.5",
                "--jitter",
                "10",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        self.status: dict[str, Any] = {}
        self.final: dict[str, Any] | None = None
        self.lines: list[str] = []
        self.registered_at: float | None = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            if line.startswith("{"):
                self.status = json.loads(line)
            elif line.startswith("final "):
                self.final = json.loads(line[6:])
            elif line.startswith("mass mode:"):
                self.registered_at = time.perf_counter()

    def wait(self, what: str, check: Any, timeout_s: float) -> float:
        deadline = time.perf_counter() + timeout_s
        while not check(self.status):
            if self.proc.poll() is not None:
                raise SystemExit(f"simulator exited: {''.join(self.lines[-5:])}")
            if time.perf_counter() > deadline:
                raise SystemExit(f"{what}: not within {timeout_s} s; last status {self.status}")
            time.sleep(0.05)
        return time.perf_counter()

    def stop(self) -> dict[str, Any]:
        self.proc.terminate()
        self.proc.wait(120)
        self._reader.join(10)
        if self.final is None:
            raise SystemExit("the simulator printed no final line: " + "".join(self.lines[-5:]))
        return self.final


class ApiProbe:
    """Sequential requests on a thread; ``take()`` returns the latencies (ms) since the last."""

    def __init__(self, url: str, ids: list[str], token: str) -> None:
        self._http = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        self._ids = ids
        self._rng = random.Random(7)
        self._samples: list[float] = []
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        n = len(self._ids)
        while not self._stop.wait(0.05):
            if self._rng.random() < 0.5:
                path = f"/api/v1/devices?limit=50&offset={self._rng.randrange(max(1, n - 50))}"
            else:
                path = f"/api/v1/devices/{self._ids[self._rng.randrange(n)]}"
            t0 = time.perf_counter()
            try:
                ok = self._http.get(path).status_code == 200
            except httpx.HTTPError:
                ok = False
            self._samples.append((time.perf_counter() - t0) * 1000)
            self.errors += not ok

    def take(self) -> list[float]:
        samples, self._samples = self._samples, []
        return samples

    def close(self) -> None:
        self._stop.set()
        self._thread.join(30)
        self._http.close()


def pct(samples: list[float], q: float) -> float:
    if len(samples) < 2:
        return samples[0] if samples else float("nan")
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def stored_events(db_url: str, ids: list[str]) -> tuple[int, int]:
    """(rows, distinct (device, seq)) of the simulated devices' events in the collector's DB."""
    if db_url.startswith("postgresql"):
        return asyncio.run(_pg_stored(db_url, ids))
    with sqlite3.connect(f"file:{db_url}?mode=ro", uri=True) as conn:
        rows, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT device_id || '/' || seq) FROM events"
        ).fetchone()
    return int(rows), int(distinct)


async def _pg_stored(db_url: str, ids: list[str]) -> tuple[int, int]:
    conn = await asyncpg.connect(db_url)
    try:
        row = await conn.fetchrow(
            "SELECT count(*), count(DISTINCT (device_id, seq)) FROM events "
            "WHERE device_id = ANY($1::text[])",
            ids,
        )
    finally:
        await conn.close()
    assert row is not None
    return int(row[0]), int(row[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=5000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--baseline-s", type=float, default=15.0)
    parser.add_argument(
        "--down-s", type=float, default=5.0, help="broker down between stop and start"
    )
    args = parser.parse_args()
    limit = raise_nofile(args.devices + 200)  # the broker (a child) inherits it
    ids = [s.device_id for s in place_counters(args.devices)]
    with tempfile.TemporaryDirectory(prefix="bench-storm-") as tmp:
        work = Path(tmp)
        broker = start_broker(work, args.devices)
        print(f"broker {broker.url} (RLIMIT_NOFILE {limit}); collector on {args.db}", flush=True)
        try:
            with collector(work, broker, args.db) as coll:
                sim = Simulator(work, broker, coll.url, args.devices)
                try:
                    n = args.devices
                    sim.wait("registration", lambda s: sim.registered_at, 900)
                    t_start = sim.registered_at or time.perf_counter()
                    t_conn = sim.wait("connect", lambda s: s.get("connected") == n, 300)
                    connect_s = t_conn - t_start
                    print(f"all {n} connected in {connect_s:.1f} s", flush=True)
                    probe = ApiProbe(coll.url, ids, OPS_TOKEN)
                    time.sleep(args.baseline_s)
                    idle = probe.take()
                    print(f"idle fleet: {len(idle)} API requests", flush=True)
                    before = sim.status["sessions"]
                    t_down = time.perf_counter()
                    broker.stop()
                    time.sleep(args.down_s)
                    broker.start()
                    t_up = time.perf_counter()
                    print(f"broker down for {t_up - t_down:.1f} s; storm", flush=True)
                    t_back = sim.wait(
                        "reconnect",
                        lambda s: s["sessions"] >= before + n and s["connected"] == n,
                        600,
                    )
                    t_drained = sim.wait("drain", lambda s: s["drained"] == n, 600)
                    storm = probe.take()
                    probe.close()
                finally:
                    final = sim.stop()
                rows, distinct = stored_events(coll.db_url, ids)  # type: ignore[attr-defined]
        finally:
            broker.stop()
    written = final["written"]
    lost = written - distinct
    print()
    print(f"devices                      {n:8d}   (one MQTT session each, one asyncio loop)")
    print(f"connect (all online)         {connect_s:8.1f} s")
    print(f"storm: all reconnected       {t_back - t_up:8.1f} s after the broker was back")
    print(f"storm: drained (all acked)   {t_drained - t_up:8.1f} s after the broker was back")
    print(
        f"events written {written}, acked {final['acked']}, stored {distinct} "
        f"(rows {rows}); lost = {lost}   target 0"
    )
    print(
        f"fleet API during the storm   p50 {pct(storm, 50):6.1f} ms  p95 {pct(storm, 95):6.1f} ms"
        f"  ({len(storm)} requests, {probe.errors} errors)"
        f"   target p95 < {API_P95_TARGET_MS:.0f} ms"
    )
    print(
        f"baseline: idle fleet         p50 {pct(idle, 50):6.1f} ms  p95 {pct(idle, 95):6.1f} ms"
        f"  ({len(idle)} requests, same run)"
    )
    if lost or final["pending"]:
        raise SystemExit(f"LOST {lost} events; {final['pending']} still pending at the devices")


if __name__ == "__main__":
    main()
