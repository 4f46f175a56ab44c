"""The collector's web pages in a real headless Chromium, against the real collector.

A private Mosquitto, ``python -m collector`` on SQLite, the 25 Chiang Mai district offices
registered through the API, and six simulated counters publishing real protocol messages
(heartbeats, GPS fixes, ratings, one Last Will "offline"). Then the browser loads the map, fleet
and office pages and reads what a person would see. Screenshots go to ``test-artifacts/web/``.
"""

from __future__ import annotations

import csv
import os
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
from tests.e2e.browser import ARTIFACTS_DIR, Page, launch
from tests.fixtures.broker import MosquittoBroker, free_port

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
# The simulator's copy of shared/data's file (same rows); the shared original as a fallback.
_CSV_NAME = "chiang-mai-district-offices.csv"
OFFICES_CSV = next(
    (
        p
        for p in (
            REPO / "agent" / "simulate" / "data" / _CSV_NAME,
            REPO.parent / "shared" / "data" / _CSV_NAME,
        )
        if p.exists()
    ),
    REPO / "agent" / "simulate" / "data" / _CSV_NAME,
)
SHOTS = ARTIFACTS_DIR / "web"
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
    api: httpx.Client
    offices: list[dict[str, str]]


def _wait_ready(api: httpx.Client, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"collector exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            if api.get("/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"collector not ready within 30 s: {log.read_text()[-2000:]}")


@pytest.fixture
def collector(mosquitto: MosquittoBroker, tmp_path: Path) -> Iterator[RunningSystem]:
    """``python -m collector`` on SQLite and the test broker, stopped (SIGTERM) at teardown."""
    port = free_port()
    log = tmp_path / "collector.log"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CF_")},
        "CF_MQTT_URL": mosquitto.url,
        "CF_MQTT_CLIENT_ID": f"cf-collector-web-{port}",
        "CF_DB_URL": str(tmp_path / "collector.db"),
        "CF_HTTP_HOST": "127.0.0.1",
        "CF_HTTP_PORT": str(port),
        "CF_BOOTSTRAP_OPS_TOKEN": TOKEN,
        "CF_ALERT_OFFLINE_S": "0",
        "CF_LOG_LEVEL": "INFO",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "collector"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    api = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    try:
        _wait_ready(api, process, log)
        yield RunningSystem(base_url, api, read_offices())
    finally:
        api.close()
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


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


@pytest.fixture
def demo(collector: RunningSystem, mosquitto: MosquittoBroker) -> RunningSystem:
    register(collector)
    simulate(collector, mosquitto)
    wait_ingested(collector)
    return collector


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    with launch(tmp_path / "chromium") as browser:
        yield browser.new_page()


def assert_no_console_errors(page: Page) -> None:
    problems = [str(m) for m in page.console_errors()]
    assert problems == [], problems


def test_map_shows_a_marker_and_a_row_per_pinned_office(demo: RunningSystem, page: Page) -> None:
    page.goto(f"{demo.base_url}/map")
    page.wait_for("document.body.dataset.loaded === 'true'")
    markers = page.evaluate(
        "Array.from(document.querySelectorAll('.leaflet-marker-icon.office-pin'))"
        ".map(m => [m.dataset.officeId, m.className.match(/pin-(\\w+)/)[1]])"
    )
    rows = page.evaluate(
        "Array.from(document.querySelectorAll('#offices tbody tr'))"
        ".map(r => [r.dataset.officeId, r.cells[0].textContent.trim(), r.cells[3].textContent])"
    )
    page.screenshot(SHOTS / "map-th.png")

    assert len(markers) == 25, markers
    assert {m[0] for m in markers} == {r["office_id"] for r in demo.offices}
    sources = dict(markers)
    assert sources["cm-mueang-chiang-mai-dol"] == "gps"
    assert sources[MANUAL_PIN_OFFICE] == "manual"
    assert sources["cm-mae-rim-dol"] == "provisioned"
    assert len(rows) == 25
    by_id = {r[0]: r for r in rows}
    assert by_id["cm-mueang-chiang-mai-dol"][1] == "ที่ว่าการอำเภอเมืองเชียงใหม่"
    assert by_id["cm-mueang-chiang-mai-dol"][2] == "2"
    assert page.evaluate("document.documentElement.lang") == "th"
    assert page.evaluate("!!document.getElementById('no-tiles')"), "no-tiles note missing"
    assert page.evaluate("document.querySelectorAll('.legend li').length") == 3
    assert_no_console_errors(page)


def test_fleet_lists_every_device_and_marks_the_offline_one(
    demo: RunningSystem, page: Page
) -> None:
    page.goto(f"{demo.base_url}/fleet")
    page.wait_for("document.body.dataset.loaded === 'true'")
    rows = page.evaluate(
        "Object.fromEntries(Array.from(document.querySelectorAll('#fleet tbody tr')).map(r => "
        "[r.dataset.deviceId, {online: r.dataset.online, cls: r.className, "
        "cells: Array.from(r.cells).map(c => c.textContent.trim())}]))"
    )
    page.screenshot(SHOTS / "fleet-th.png")

    assert set(rows) == {c.device_id for c in COUNTERS}
    fang = rows["cm-fang-c01"]
    assert fang["online"] == "false"
    assert "row-offline" in fang["cls"]
    assert "ออฟไลน์" in fang["cells"][2]
    assert "ออฟไลน์นาน" in fang["cells"][11]  # the offline alert, in words
    online = [d for d, r in rows.items() if r["online"] == "true"]
    assert sorted(online) == sorted(c.device_id for c in COUNTERS if not c.offline)
    chom = rows["cm-chom-thong-c01"]
    assert "row-alert" in chom["cls"]
    assert chom["cells"][4].startswith("42")  # backlog depth, with its age
    assert "ขัดข้อง" in chom["cells"][5]  # reader error
    assert chom["cells"][10] == "⚠ 1"  # the skipped seq
    assert "นาฬิกาไม่ตรง" in rows["cm-san-sai-c01"]["cells"][11]
    # It refreshes by itself, without a reload.
    page.wait_for("Number(document.body.dataset.refreshes) >= 2", timeout=15)
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    assert_no_console_errors(page)


def test_office_page_summary_and_english_switch(demo: RunningSystem, page: Page) -> None:
    page.goto(f"{demo.base_url}/offices/cm-mueang-chiang-mai-dol")
    page.wait_for("document.body.dataset.loaded === 'true'")
    th = page.evaluate(
        "({name: document.getElementById('office-name').textContent,"
        " total: document.getElementById('total').textContent,"
        " verified: document.getElementById('verified').textContent,"
        " scores: Object.fromEntries(Array.from(document.querySelectorAll('#scores tbody tr'))"
        "   .map(r => [r.dataset.score, r.cells[1].textContent])),"
        " devices: document.querySelectorAll('#fleet tbody tr[data-device-id]').length,"
        " heading: document.getElementById('summary-heading').textContent})"
    )
    page.screenshot(SHOTS / "office-th.png")
    assert th["name"] == "ที่ว่าการอำเภอเมืองเชียงใหม่"
    assert th["heading"] == "ความพึงพอใจ"
    assert th["total"] == "8"
    assert th["scores"] == {"5": "3", "4": "2", "3": "1", "2": "1", "1": "1"}
    assert th["verified"] == "50%"  # every second rating of each counter was verified
    assert th["devices"] == 2

    page.evaluate("document.getElementById('lang-switch').click()")
    page.wait_for("document.documentElement.lang === 'en' && document.body.dataset.loaded")
    en = page.evaluate(
        "({name: document.getElementById('office-name').textContent,"
        " heading: document.getElementById('summary-heading').textContent,"
        " nav: document.querySelector('header nav').textContent.replace(/\\s+/g, ' ').trim()})"
    )
    page.screenshot(SHOTS / "office-en.png")
    assert en == {
        "name": "Mueang Chiang Mai District Office",
        "heading": "Satisfaction",
        "nav": "Office map Devices",
    }
    # The choice is remembered: the fleet page, without ?lang, is English too.
    page.goto(f"{demo.base_url}/fleet")
    page.wait_for("document.body.dataset.loaded === 'true'")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert "Offline" in page.evaluate(
        "document.querySelector('#fleet tr[data-device-id=\"cm-fang-c01\"]').cells[2].textContent"
    )
    page.screenshot(SHOTS / "fleet-en.png")
    assert_no_console_errors(page)
