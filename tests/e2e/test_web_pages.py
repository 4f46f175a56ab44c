"""The collector's web pages in a real headless Chromium, against the real collector.

A private Mosquitto, ``python -m collector`` on SQLite, the 25 Chiang Mai district offices
registered through the API, and six simulated counters publishing real protocol messages
(tests/e2e/web_system.py). The browser loads the map, fleet and office pages and reads what a
person would see; screenshots go to ``test-artifacts/web/``. A few checks of the page server
itself (languages, cookie, static files, tile settings) need no browser.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from collector.errors import ConfigError
from collector.web import install, make_router
from collector.web.i18n import COOKIE_NAME, STRINGS
from collector.web.settings import WebSettings
from tests.e2e.browser import ARTIFACTS_DIR, Page, launch
from tests.e2e.web_system import (
    COUNTERS,
    MANUAL_PIN_OFFICE,
    RunningSystem,
    register,
    run_collector,
    simulate,
    wait_ingested,
)
from tests.fixtures.broker import MosquittoBroker, free_port

SHOTS = ARTIFACTS_DIR / "web"


@pytest.fixture
def demo(mosquitto: MosquittoBroker, tmp_path: Path) -> Iterator[RunningSystem]:
    with run_collector(mosquitto, tmp_path) as system:
        register(system)
        simulate(system, mosquitto)
        wait_ingested(system)
        yield system


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
    # It refreshes by itself, without a reload, and a keyboard user keeps their place.
    page.evaluate(
        "document.querySelector('#fleet tr[data-device-id=\"cm-hang-dong-c01\"] a').focus()"
    )
    before = page.evaluate("Number(document.body.dataset.refreshes)")
    page.wait_for(f"Number(document.body.dataset.refreshes) > {before}", timeout=15)
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    assert (
        page.evaluate("document.activeElement.closest('tr').dataset.deviceId") == "cm-hang-dong-c01"
    )
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

    # Another period re-reads the summary in place (all test ratings are a minute old).
    page.evaluate("document.querySelector('input[name=period][value=\"30d\"]').click()")
    page.wait_for("document.getElementById('scores').dataset.period === '30d'")
    assert page.evaluate("document.getElementById('total').textContent") == "8"

    page.evaluate("document.getElementById('lang-switch').click()")
    page.wait_for("document.documentElement.lang === 'en' && document.body.dataset.loaded")
    en = page.evaluate(
        "({name: document.getElementById('office-name').textContent,"
        " heading: document.getElementById('summary-heading').textContent,"
        " nav: document.querySelector('header nav').textContent.replace(/\\s+/g, ' ').trim()})"
    )
    page.screenshot(SHOTS / "office-en.png")
    assert page.evaluate("document.querySelector('input[name=period]:checked').value") == "30d"
    assert en == {
        "name": "Mueang Chiang Mai District Office",
        "heading": "Satisfaction",
        "nav": "Office map Services Devices",
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


# The page server itself: no browser needed. ------------------------------------------------


@pytest.fixture
async def pages_client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install(app, WebSettings())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pages.test") as client:
        yield client


def test_every_string_exists_in_both_languages() -> None:
    assert set(STRINGS["th"]) == set(STRINGS["en"])
    for lang, table in STRINGS.items():
        empty = [key for key, text in table.items() if not text.strip()]
        assert empty == [], f"{lang}: empty strings {empty}"


async def test_thai_by_default_english_by_query_and_remembered_by_cookie(
    pages_client: httpx.AsyncClient,
) -> None:
    first = await pages_client.get("/fleet")
    assert first.status_code == 200
    assert '<html lang="th">' in first.text
    assert "อุปกรณ์ทั้งหมด" in first.text
    assert COOKIE_NAME not in first.cookies

    english = await pages_client.get("/map?lang=en")
    assert '<html lang="en">' in english.text
    assert "Office map" in english.text
    assert english.cookies.get(COOKIE_NAME) == "en"

    remembered = await pages_client.get("/offices/cm-fang-dol")  # the client keeps the cookie
    assert '<html lang="en">' in remembered.text
    assert (await pages_client.get("/map?lang=xx")).text.count('<html lang="en">') == 1
    assert '<html lang="th">' in (await pages_client.get("/map?lang=th")).text


async def test_bad_office_id_and_path_escapes_are_refused(pages_client: httpx.AsyncClient) -> None:
    assert (await pages_client.get("/offices/..%2Fetc")).status_code == 404
    assert (await pages_client.get("/offices/NOT_AN_ID")).status_code == 404
    assert (await pages_client.get("/static/%2e%2e/pages.py")).status_code == 404
    assert (await pages_client.get("/static/..%2fpages.py")).status_code == 404
    assert (await pages_client.get("/static/css/..%2f..%2f..%2fconfig.py")).status_code == 404
    assert (await pages_client.get("/static/nope.js")).status_code == 404
    leaflet = await pages_client.get("/static/vendor/leaflet/leaflet.js")
    assert leaflet.status_code == 200
    assert "javascript" in leaflet.headers["content-type"]


def test_a_malformed_tile_url_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CF_TILE_URL", "ftp://tiles.example/{z}/{x}/{y}.png")
    with pytest.raises(ConfigError, match=r"^CF_TILE_URL: .*\{z\}"):
        make_router()


@pytest.fixture
def tiled_server() -> Iterator[str]:
    """The pages with a tile URL (tiles served locally) and one office of fixture JSON."""
    app = FastAPI()
    settings = WebSettings(
        tile_url="/static/favicon.svg?z={z}&x={x}&y={y}", tile_attribution="Test tiles ©"
    )
    install(app, settings)

    @app.get("/api/v1/offices")
    async def offices() -> dict[str, object]:
        feature = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [98.98444, 18.79028]},
            "properties": {
                "office_id": "cm-mueang-chiang-mai-dol",
                "name_en": "Mueang",
                "name_th": "เมือง",
                "pin_source": "gps",
                "accuracy_m": 5,
                "devices": ["cm-mueang-c01"],
                "flags": [],
            },
        }
        return {"type": "FeatureCollection", "features": [feature]}

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="tiled-pages", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "page server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_map_uses_configured_tiles_with_their_attribution(tiled_server: str, page: Page) -> None:
    page.goto(f"{tiled_server}/map?lang=en")
    page.wait_for(
        "document.body.dataset.loaded === 'true' && Array.from("
        "document.querySelectorAll('img.leaflet-tile')).some(i => i.complete && i.naturalWidth)"
    )
    page.screenshot(SHOTS / "map-tiles-en.png")
    assert "Test tiles" in page.evaluate(
        "document.querySelector('.leaflet-control-attribution').textContent"
    )
    assert page.evaluate("document.getElementById('no-tiles')") is None
    assert page.evaluate("document.querySelectorAll('.grid-label').length") == 0
    assert page.evaluate("document.querySelectorAll('.office-pin').length") == 1
    assert_no_console_errors(page)


def test_fleet_page_says_so_when_the_api_fails(tiled_server: str, page: Page) -> None:
    """The stub serves no /api/v1/devices: the page keeps its shell and explains, in words."""
    page.goto(f"{tiled_server}/fleet?lang=en")
    status = page.wait_for(
        "document.getElementById('status').classList.contains('error') && "
        "document.getElementById('status').textContent"
    )
    assert status == "⚠ Could not load data (HTTP 404); retrying"
    assert page.evaluate("document.querySelectorAll('#fleet thead th').length") == 12
    unexpected = [
        str(m)
        for m in page.console_errors()
        if not (m.source == "log" and "/api/v1/" in m.text and "404" in m.text)
    ]
    assert unexpected == []
