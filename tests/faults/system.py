"""The whole path under test: agent(s) → fault proxy → Mosquitto → ``python -m collector``.

Reuses the project's fixtures (tests/fixtures/broker.py, tests/collector/process.py,
tests/agent/agent_rig.py); adds only the counting the fault table needs.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from agent.config import AgentConfig
from tests.agent.agent_rig import InProcessAgent, config_data
from tests.faults.proxy import FaultProxy
from tests.faults.table import FaultRow
from tests.fixtures.broker import MosquittoBroker
from tests.fixtures.collector_process import CollectorProcess, CollectorStartError

READY_S = 90.0  # a loaded 2-core CI machine can take long to start a Python process


@dataclass(frozen=True)
class Counts:
    total: int
    distinct: int


# The fleet views (/metrics, the devices' fleet view) need a token since issue 13 item 9.
OPS_TOKEN = "cf_faults-ops-token-0123456789abcdefghijklmn"


class FaultSystem:
    def __init__(
        self, tmp_path: Path, broker: MosquittoBroker, env: dict[str, str] | None = None
    ) -> None:
        self.tmp_path = tmp_path
        self.broker = broker
        self.db = tmp_path / "collector.db"
        self._env = {
            "CF_MQTT_URL": broker.url,
            "CF_DB_URL": str(self.db),
            "CF_MQTT_CLIENT_ID": "cf-fault",
            "CF_BOOTSTRAP_OPS_TOKEN": OPS_TOKEN,
            **(env or {}),
        }
        self.ops_headers = {"Authorization": f"Bearer {OPS_TOKEN}"}
        self.collector = CollectorProcess(tmp_path, self._env)
        self.proxy = FaultProxy(broker.host, broker.port)
        self.collector_crashes = 0

    def start(self) -> FaultSystem:
        for attempt in range(3):
            self.collector.start()
            try:
                self.collector.wait_ready(READY_S)
                return self
            except CollectorStartError as exc:
                # The free port was taken between choosing and binding (tests run in parallel
                # on this machine): a fresh port, not a fault of the system under test.
                if "address already in use" not in str(exc) or attempt == 2:
                    raise
                self.collector = CollectorProcess(self.tmp_path, self._env)
        return self

    def stop(self) -> None:
        self.check_collector()
        self.collector.stop()
        self.proxy.close()

    def check_collector(self) -> None:
        """Count an exit of the collector process that the test did not cause."""
        proc = self.collector.proc
        if proc is not None and proc.poll() is not None:
            self.collector_crashes += 1
            self.collector.start()
            self.collector.wait_ready(READY_S)

    def agent_config(self, device: str, **sections: dict[str, object]) -> AgentConfig:
        data = config_data(self.tmp_path / device, self.proxy.url, device={"id": device})
        data["mqtt"]["keepalive_s"] = 5
        for name, values in sections.items():
            data.setdefault(name, {}).update(values)
        return AgentConfig(**data)

    def counts(self, device: str) -> Counts:
        if not self.db.exists():
            return Counts(0, 0)
        with sqlite3.connect(self.db, timeout=10) as conn:
            total, distinct = conn.execute(
                "SELECT count(*), count(DISTINCT seq) FROM events WHERE device_id = ?", (device,)
            ).fetchone()
        return Counts(int(total), int(distinct))

    def dead_letters(self, device: str | None = None) -> int:
        with sqlite3.connect(self.db, timeout=10) as conn:
            if device is None:
                return int(conn.execute("SELECT count(*) FROM dead_letters").fetchone()[0])
            return int(
                conn.execute(
                    "SELECT count(*) FROM dead_letters WHERE device_id = ?", (device,)
                ).fetchone()[0]
            )

    def wait_stored(self, device: str, expected: int, timeout: float) -> Counts:
        deadline = time.monotonic() + timeout
        counts = self.counts(device)
        while counts.distinct < expected and time.monotonic() < deadline:
            time.sleep(0.2)
            self.check_collector()
            counts = self.counts(device)
        time.sleep(0.5)  # a duplicate arriving after the last new event still counts
        return self.counts(device)

    def row(
        self, fault: str, device: str, sent: int, *, crashes: int = 0, note: str = ""
    ) -> FaultRow:
        counts = self.counts(device)
        return FaultRow(
            fault=fault,
            sent=sent,
            stored=counts.distinct,
            lost=max(0, sent - counts.distinct),
            duplicated=counts.total - counts.distinct,
            crashes=crashes + self.collector_crashes,
            note=note,
        )


def press_stream(rig: InProcessAgent, count: int, rate_per_s: float) -> threading.Thread:
    """Press rating buttons ``count`` times at about ``rate_per_s`` on a thread (one event each)."""

    def run() -> None:
        for i in range(count):
            rig.press(1 + i % 5)
            time.sleep(1 / rate_per_s)

    thread = threading.Thread(target=run, name="presses", daemon=True)
    thread.start()
    return thread


def agent_crashes(rig: InProcessAgent) -> int:
    """Worker threads of the agent that died or hung (agent.liveness)."""
    return len(rig.agent.workers.problems())
