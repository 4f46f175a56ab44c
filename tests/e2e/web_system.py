"""A demo-sized running system for the web page tests: the real collector and simulated counters.

``run_collector`` starts ``python -m collector`` (SQLite, a test broker, an ops token);
``register`` puts the 25 Chiang Mai district offices and six counters in its registry through the
API; ``simulate`` publishes what those counters would (state, ratings, GPS fixes, heartbeats, one
Last Will "offline") as real protocol messages; ``wait_ingested`` waits until the API shows it.
"""

from __future__ import annotations

import contextlib
import csv
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest

from protocols import (
    Channel,
    Heartbeat,
    HeartbeatBody,
    Location,
    LocationBody,
    Rating,
    RatingBody,
    State,
    encode,
    new_message_id,
    now,
    topic,
)
from tests.e2e.browser import Page
from tests.fixtures.broker import MosquittoBroker
from tests.fixtures.collector_process import ServingCollector
from tests.fixtures.ports import free_port

REPO = Path(__file__).resolve().parents[2]
# The simulator's reference data (sources and licences in simulator/data/README.md).
OFFICES_CSV = REPO / "simulator" / "data" / "chiang-mai-district-offices.csv"
TOKEN = "web-test-ops-token-0123456789abcdef"


@dataclass(frozen=True)
class Counter:
    device_id: str
    office_id: str
    reader: str = "present"
    outbox_depth: int = 0
    outbox_oldest_s: float | None = None
    clock_synced: bool = True
    gps: bool = False  # publishes GPS fixes near its office (the office gets a GPS pin)
    ratings: tuple[int, ...] = ()
    skip_seq: int | None = None  # leave this seq out: a gap the collector reports
    offline: bool = False  # ends with its Last Will: state "offline"


COUNTERS = (
    Counter("cm-mueang-c01", "cm-mueang-chiang-mai-dol", gps=True, ratings=(5, 5, 4, 3, 5, 1)),
    Counter("cm-mueang-c02", "cm-mueang-chiang-mai-dol", gps=True, ratings=(4, 2)),
    Counter(
        "cm-chom-thong-c01",
        "cm-chom-thong-dol",
        reader="error",
        outbox_depth=42,
        outbox_oldest_s=5400,
        ratings=(3, 4, 5),
        skip_seq=2,
    ),
    Counter("cm-fang-c01", "cm-fang-dol", gps=True, offline=True, ratings=(5,)),
    Counter("cm-san-sai-c01", "cm-san-sai-dol", clock_synced=False),
    Counter("cm-hang-dong-c01", "cm-hang-dong-dol", gps=True, ratings=(2, 3)),
)
MANUAL_PIN_OFFICE = "cm-doi-saket-dol"


def read_offices() -> list[dict[str, str]]:
    with OFFICES_CSV.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@dataclass
class RunningSystem:
    base_url: str
    api: httpx.Client  # with the ops token
    offices: list[dict[str, str]]
    viewer_token: str  # made with ``python -m collector token create --role viewer``


def create_token(env: dict[str, str], role: str) -> str:
    """A token from the real CLI, on the running collector's database."""
    made = subprocess.run(
        [sys.executable, "-m", "collector", "token", "create", "--role", role, "--name", "web"],
        cwd=REPO, env={**env, "CF_LOG_LEVEL": "WARNING"}, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    return made.stdout.strip()


@contextlib.contextmanager
def run_collector(
    broker: MosquittoBroker, work_dir: Path, **extra_env: str
) -> Iterator[RunningSystem]:
    """``python -m collector`` on SQLite and ``broker``, ready; stopped (SIGTERM, then SIGKILL)."""
    collector = ServingCollector(
        work_dir,
        broker.url,
        ops_token=TOKEN,
        log_level="INFO",
        CF_MQTT_CLIENT_ID=f"cf-collector-web-{free_port()}",
        CF_ALERT_OFFLINE_S="0",
        **extra_env,
    )
    try:
        viewer = create_token(collector.env, "viewer")
        yield RunningSystem(collector.url, collector.http, read_offices(), viewer)
    finally:
        collector.stop()


def register(system: RunningSystem) -> None:
    for row in system.offices:
        office = {
            "office_id": row["office_id"],
            "name_th": row["office_name_th"],
            "name_en": row["office_name_en"],
            "agency": "DOPA",
            "province": "Chiang Mai",
            "lat": float(row["lat"]),
            "lon": float(row["lon"]),
        }
        response = system.api.put(f"/api/v1/offices/{row['office_id']}", json=office)
        assert response.status_code in (200, 201), response.text
    for counter in COUNTERS:
        device = {"device_id": counter.device_id, "office_id": counter.office_id}
        response = system.api.put(f"/api/v1/devices/{counter.device_id}", json=device)
        assert response.status_code in (200, 201), response.text
    office = next(r for r in system.offices if r["office_id"] == MANUAL_PIN_OFFICE)
    response = system.api.put(
        f"/api/v1/offices/{MANUAL_PIN_OFFICE}/pin",
        json={"lat": float(office["lat"]) + 0.001, "lon": float(office["lon"]), "accuracy_m": 15},
    )
    assert response.status_code == 200, response.text


def _publish(
    client: mqtt.Client, device: str, channel: Channel, payload: bytes, *, retain: bool = False
) -> None:
    info = client.publish(topic(device, channel), payload, qos=1, retain=retain)
    info.wait_for_publish(timeout=10)
    assert info.is_published(), f"{device} {channel}: not published"


def simulate(system: RunningSystem, broker: MosquittoBroker) -> None:
    """Each counter says online, sends ratings, GPS fixes and a heartbeat; one then goes offline."""
    offices = {r["office_id"]: r for r in system.offices}
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id="web-test-counters", protocol=mqtt.MQTTv5
    )
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        start = now()
        for counter in COUNTERS:
            dev = counter.device_id
            _publish(
                client,
                dev,
                Channel.STATE,
                encode(State(v=1, device=dev, state="online")),
                retain=True,
            )
            seq = 0
            for i, score in enumerate(counter.ratings):
                seq += 1
                if seq == counter.skip_seq:
                    seq += 1
                rating = Rating(
                    v=1,
                    id=new_message_id(),
                    device=dev,
                    ts=start - timedelta(seconds=len(counter.ratings) - i),
                    seq=seq,
                    body=RatingBody(session=None, score=score, scale=5, verified=i % 2 == 0),
                )
                _publish(client, dev, Channel.EVENTS, encode(rating))
            if counter.gps:
                office = offices[counter.office_id]
                for k in range(4):
                    fix = Location(
                        v=1,
                        id=new_message_id(),
                        device=dev,
                        ts=start - timedelta(seconds=30 - k),
                        body=LocationBody(
                            lat=float(office["lat"]) + 0.00002 * k,
                            lon=float(office["lon"]) - 0.00002 * k,
                            source="gps",
                            accuracy_m=6.0,
                            hdop=0.9,
                            sats=9,
                            fix="3d",
                        ),
                    )
                    _publish(client, dev, Channel.LOCATION, encode(fix))
            heartbeat = Heartbeat(
                v=1,
                id=new_message_id(),
                device=dev,
                ts=now(),
                body=HeartbeatBody(
                    uptime_s=3600,
                    sw_version="0.1.0",
                    last_seq=seq,
                    outbox_depth=counter.outbox_depth,
                    outbox_oldest_s=counter.outbox_oldest_s,
                    reader=counter.reader,
                    panel="ok",
                    gps="fix" if counter.gps else "absent",
                    clock_synced=counter.clock_synced,
                ),
            )
            _publish(client, dev, Channel.HEARTBEAT, encode(heartbeat))
            if counter.offline:
                will = State(v=1, device=dev, state="offline")
                _publish(client, dev, Channel.STATE, encode(will), retain=True)
    finally:
        client.loop_stop()
        client.disconnect()


def wait_ingested(system: RunningSystem) -> dict[str, Any]:
    """Polls the API until every counter's heartbeat and the GPS pins are stored."""
    deadline = time.monotonic() + 30
    devices: dict[str, Any] = {}
    while time.monotonic() < deadline:
        devices = {d["device_id"]: d for d in system.api.get("/api/v1/devices").json()["items"]}
        offices = system.api.get("/api/v1/offices").json()["features"]
        sources = {f["properties"]["office_id"]: f["properties"]["pin_source"] for f in offices}
        beats = all(devices.get(c.device_id, {}).get("heartbeat") for c in COUNTERS)
        if (
            beats
            and sources.get("cm-mueang-chiang-mai-dol") == "gps"
            and not devices["cm-fang-c01"]["online"]
        ):
            return devices
        time.sleep(0.3)
    pytest.fail(f"ingest did not finish within 30 s: {devices}")


def assert_no_console_errors(page: Page, *, allow_refused_token: bool = False) -> None:
    """No errors; ``allow_refused_token``: but the one 401 of a deliberately wrong token."""
    problems = [
        str(m)
        for m in page.console_errors()
        if not (allow_refused_token and "401" in m.text and "/api/v1/" in m.text)
    ]
    assert problems == [], problems


def sign_in(page: Page, token: str) -> None:
    """Types ``token`` into the fleet page's form, as a person would, and submits it."""
    page.evaluate(
        f"(() => {{ const input = document.getElementById('token-input'); input.value = {token!r};"
        " document.getElementById('token-form').requestSubmit(); })()"
    )
