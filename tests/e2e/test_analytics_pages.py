"""The managers' analytics page in headless Chromium (360 px) against a real collector process.

Charts come from the vendored Chart.js under CSP ``script-src 'self'`` and show exactly the
figures of the tables (and of the JSON API); the tables stay for screen readers; the office's
alert settings form names a wrong field and saves a right one. Screenshots in
``test-artifacts/analytics/``.
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from collector.config import Settings
from collector.records import EventRow, IngestBatch
from collector.storage import open_driver
from collector.storage.ingest_store import write_batch
from tests.collector.managers.data import DAY, HOUR, START, Seqs, event
from tests.e2e.browser import ARTIFACTS_DIR, Page, launch
from tests.e2e.test_account_pages import click_and_wait, fill, fits_phone
from tests.fixtures.broker import MosquittoBroker
from tests.fixtures.collector_process import ServingCollector

SHOTS = ARTIFACTS_DIR / "analytics"
REPO = Path(__file__).resolve().parents[2]
OFFICE, AGENCY = "cm-mae-rim-dol", "cm-mae-rim-dopa"
EMAIL, PASSWORD = "manager.maerim@example.go.th", "ลำไย longan 2026"
QUERY = f"office_id={OFFICE}&from=2026-03-02&to=2026-03-22"


def _events() -> list[EventRow]:
    rng, seqs, events = random.Random(4), Seqs(), []
    for _ in range(400):
        ts = START + rng.randrange(21 * DAY)
        session = str(uuid.uuid4())
        events.append(event(seqs, "dev-mr1", "session.started", ts, session=session,
                            body={"visitor": "v" + session[:6]}))  # fmt: skip
        if rng.random() < 0.25:
            events.append(event(seqs, "dev-mr1", "copy.requested", ts + 1000, session=session,
                                body={"session": session, "document": "id_card"}))  # fmt: skip
        score, verified = rng.randint(1, 5), rng.randint(0, 1)
        events.append(event(seqs, "dev-mr1", "rating", ts + 60_000, session=session,
                            score=score, scale=5, verified=verified))  # fmt: skip
    return events


async def _store(db: Path) -> None:
    driver = await open_driver(Settings(db_url=str(db)))
    try:
        await write_batch(driver, IngestBatch(events=_events()))
        async with driver.transaction() as tx:  # web ratings, as the citizen form rolls them up
            for hour in range(0, 21 * 24, 5):
                await tx.execute(
                    "INSERT INTO rating_rollups (office_id, device_id, hour_ms, scale, score, "
                    "verified, n) VALUES (?, 'web:1', ?, 5, ?, 0, 2)",
                    OFFICE,
                    START + hour * HOUR,
                    1 + hour % 5,
                )
    finally:
        await driver.close()


@pytest.fixture
def collector(mosquitto: MosquittoBroker, tmp_path: Path) -> Iterator[ServingCollector]:
    running = ServingCollector(tmp_path / "collector", mosquitto.url, log_level="INFO")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    with launch(tmp_path / "chromium") as browser:
        yield browser.new_page(width=360, height=740)


def _chart_data(page: Page, table: str) -> list[float | None]:
    expression = (
        f"(function () {{ var t = document.getElementById({json.dumps(table)});"
        " var f = t.closest('.table-scroll') ? t.parentNode.previousElementSibling"
        " : t.previousElementSibling;"
        " return Chart.getChart(f.querySelector('canvas')).data.datasets[0].data; })()"
    )
    data: list[float | None] = page.evaluate(expression)
    return data


@pytest.mark.slow
def test_charts_tables_and_alert_settings(collector: ServingCollector, page: Page) -> None:
    office = {"office_id": OFFICE, "name_th": "ที่ว่าการอำเภอแม่ริม", "name_en": "Mae Rim",
              "agency": AGENCY, "province": "Chiang Mai"}  # fmt: skip
    assert collector.http.post("/api/v1/offices", json=office).status_code == 201
    device = {"device_id": "dev-mr1", "office_id": OFFICE, "counter_label": "1"}
    assert collector.http.post("/api/v1/devices", json=device).status_code == 201
    asyncio.run(_store(collector.db_path))
    added = subprocess.run(
        [sys.executable, "-m", "collector.accounts", "add-person", "--email", EMAIL,
         "--role", "manager", "--agency", AGENCY, "--office", OFFICE],
        input=PASSWORD + "\n", env=collector.env, cwd=REPO, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr

    base = collector.url
    page.goto(base + "/login")
    fill(page, {"f-email": EMAIL, "f-password": PASSWORD})
    click_and_wait(page, "#login-form button[type=submit]", "document.getElementById('account')")
    page.goto(f"{base}/analytics?{QUERY}")
    page.wait_for("document.querySelectorAll('table[data-chart-drawn]').length === 4")
    assert page.evaluate("document.querySelectorAll('figure.chart canvas').length") == 4
    assert page.evaluate("document.querySelector('figure.chart').getAttribute('aria-hidden')")

    trend = collector.get("/api/v1/analytics/trend", grain="week", **_q())["points"]
    assert _chart_data(page, "trend") == [p["mean"] for p in trend]
    channels = collector.get("/api/v1/analytics/breakdown", by="channel", **_q())["groups"]
    assert _chart_data(page, "channels") == [g["mean"] for g in channels]
    assert [g["channel"] for g in channels] == ["buttons", "web"]
    zero = collector.get("/api/v1/analytics/zero-copy", grain="week", **_q())["offices"][0]
    assert _chart_data(page, "zero-copy") == [
        round(100 * p["copy_share"], 1) for p in zero["points"]
    ]
    # The tables stay, with the same figures.
    assert page.evaluate("document.querySelectorAll('#trend tbody tr').length") == len(trend)
    assert fits_phone(page)
    page.screenshot(SHOTS / "analytics-charts-th.png")

    fill(page, {"a-email": "not-an-email", "a-min_ratings": "4"})
    click_and_wait(page, "#alert-settings-form button[type=submit]",
                   "document.getElementById('a-email-error')")  # fmt: skip
    error = page.evaluate("document.getElementById('a-email-error').textContent")
    assert error.strip()
    fill(page, {"a-email": "duty.maerim@example.go.th", "a-negative_share": "60"})
    click_and_wait(page, "#alert-settings-form button[type=submit]",
                   "document.getElementById('form-message')")  # fmt: skip
    saved = collector.get(f"/api/v1/offices/{OFFICE}/alert-settings")
    assert (saved["email"], saved["negative_share"], saved["min_ratings"]) == (
        "duty.maerim@example.go.th", 0.6, 4
    )  # fmt: skip
    page.screenshot(SHOTS / "analytics-settings-th.png")
    page.goto(f"{base}/analytics?{QUERY}&lang=en")
    page.wait_for("document.querySelectorAll('table[data-chart-drawn]').length === 4")
    page.screenshot(SHOTS / "analytics-charts-en.png")
    # The form's 422 is logged by the browser on purpose; nothing else (no CSP refusal) may be.
    problems = [str(m) for m in page.console_errors() if "status of 422" not in str(m)]
    assert problems == [], problems


def _q() -> dict[str, str]:
    return dict(part.split("=", 1) for part in QUERY.split("&"))  # type: ignore[misc]
