"""Draining the queued backlog: ``mosquitto_sub``, bare paho subscribers, the collector.

Each consumer has its own persistent session holding the same backlog. Two rates per consumer:
*sustained* (first to last message or stored row) and *from launch* (process start to the last
one: interpreter, imports, database, connection and subscription included).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.bench.ingest.measure import RowCounter, cpu_seconds, log, run_role
from tests.bench.ingest.roles import EVENTS_FILTER, SESSION_EXPIRY, split_url
from tests.fixtures.collector_process import CollectorProcess


@dataclass
class Drain:
    name: str
    rate: float
    launch_rate: float
    cpu_us: float
    broker_us: float


def mosquitto_sub(url: str, client_id: str, count: int) -> list[str]:
    host, port = split_url(url)
    cmd = ["mosquitto_sub", "-h", host, "-p", str(port), "-V", "5", "-q", "1", "-c"]
    cmd += ["-i", client_id, "-x", str(SESSION_EXPIRY), "-t", EVENTS_FILTER]
    return [*cmd, "-C", str(count)] if count else [*cmd, "-W", "1"]


def drain_mosquitto_sub(url: str, expected: int, broker_pid: int) -> Drain:
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
    if got < expected:
        raise RuntimeError(f"mosquitto_sub drained {got} of {expected}")
    return Drain(
        "mosquitto_sub (C, v5)",
        expected / (end - (first or start)),
        expected / (end - start),
        (usage.ru_utime + usage.ru_stime) / expected * 1e6,
        (cpu_seconds(broker_pid) - broker_cpu) / expected * 1e6,
    )


def prepare_bare(url: str, version: str) -> None:
    run_role("bare", url, f"bench-bare-{version}", "0", "prepare", version)


def drain_bare(url: str, version: str, expected: int, broker_pid: int) -> Drain:
    broker_cpu = cpu_seconds(broker_pid)
    start = time.perf_counter()
    out = run_role("bare", url, f"bench-bare-{version}", str(expected), "drain", version)
    wall = time.perf_counter() - start
    bare = json.loads(out.stdout)
    if bare["count"] < expected:
        raise RuntimeError(f"bare paho {version} got {bare['count']} of {expected}")
    return Drain(
        f"bare paho v{version}",
        bare["count"] / bare["seconds"],
        bare["count"] / wall,
        bare["cpu"] / expected * 1e6,
        (cpu_seconds(broker_pid) - broker_cpu) / expected * 1e6,
    )


class CollectorRun:
    """``python -m collector`` with persistent session(s); stored rows counted in its database."""

    def __init__(
        self,
        name: str,
        url: str,
        db_url: str,
        workdir: Path,
        *,
        workers: int = 1,
        v5: bool = False,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.db_url = db_url
        client_id = "bench-" + name.replace(" ", "-")
        env = {
            "CF_MQTT_URL": url,
            "CF_DB_URL": db_url,
            "CF_MQTT_CLIENT_ID": client_id,
            "CF_INGEST_WORKERS": str(workers),
            "CF_MQTT_INGEST_PROTOCOL": "5" if v5 else "3.1.1",
        }
        if workers > 1:
            env["CF_MQTT_SHARED_GROUP"] = client_id  # one group per run: each has its backlog
        env.update(extra_env or {})
        self.process = CollectorProcess(workdir, env, name=client_id, log_level="WARNING")

    def register(self) -> None:
        """Create the schema and the persistent session(s), then leave."""
        self.process.start_ready(timeout_s=60)
        self.process.stop(timeout_s=30)

    def drain(self, expected: int, broker_pid: int) -> Drain:
        counter = RowCounter(self.db_url)
        try:
            return self._drain(expected, broker_pid, counter)
        finally:
            counter.close()

    def _drain(self, expected: int, broker_pid: int, counter: RowCounter) -> Drain:
        launched = time.perf_counter()
        self.process.start()
        first_t = None
        first_n = 0
        cpu0 = broker0 = 0.0
        last_report = time.monotonic()
        while True:
            n = counter.count()
            t = time.perf_counter()
            if first_t is None and n > 0:
                first_t, first_n = t, n
                cpu0, broker0 = cpu_seconds(self.process.pid), cpu_seconds(broker_pid)
            if n >= expected:
                break
            if self.process.proc is None or self.process.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.process.log_tail()}")
            if time.monotonic() - last_report > 5:
                log(f"  {self.name}: {n}/{expected} stored")
                last_report = time.monotonic()
            time.sleep(0.1)
        assert first_t is not None
        drained = expected - first_n
        if drained <= 0:
            raise RuntimeError(f"{self.name}: the whole backlog stored before the first count")
        cpu_us = (cpu_seconds(self.process.pid) - cpu0) / drained * 1e6
        broker_us = (cpu_seconds(broker_pid) - broker0) / drained * 1e6
        self.process.stop(timeout_s=30)
        final = counter.count()
        if final != expected:
            raise RuntimeError(f"{self.name}: {final} rows stored for {expected} events")
        rate = drained / max(t - first_t, 1e-6)
        return Drain(self.name, rate, expected / (t - launched), cpu_us, broker_us)
