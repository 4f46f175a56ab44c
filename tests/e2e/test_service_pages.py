"""Service pages and the office page's service sections in headless Chromium, 360 px and desktop.

The real app (``create_app``, lifespan on, SQLite, no MQTT) serves a database seeded with the
sample catalogue, three Chiang Mai offices offering services, counter events (visits, copy
requests, ratings). Screenshots go to ``test-artifacts/services/``.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from collector.api.app import create_app
from collector.records import EventRow, IngestBatch
from collector.registry import DeviceIn
from collector.registry_writes import upsert_device
from collector.services.reader import read_catalogue
from collector.services.store import import_catalogue
from collector.storage import open_driver
from collector.storage.ingest_store import write_batch
from protocols.events import CopyRequestedBody, RatingBody, SessionStartedBody
from tests.collector.conftest import make_settings
from tests.collector.services.conftest import SAMPLE, add_offices
from tests.e2e.browser import ARTIFACTS_DIR, Browser, Page, launch
from tests.fixtures.ports import free_port

SHOTS = ARTIFACTS_DIR / "services"
OFFICE = "cm-san-sai-dol"
VISITOR = "abcdefghijklmnopqrstuvwxyz"[:26]
WIDTHS = {"phone": 360, "desktop": 1366}


def _events(now_ms: int) -> list[EventRow]:
    rows: list[EventRow] = []
    seq = 0

    def add(kind: str, ts: int, session: str | None, body: str, score: int | None = None) -> None:
        nonlocal seq
        seq += 1
        rows.append(
            EventRow(
                str(uuid.uuid4()),
                "cm-sansai-c01",
                seq,
                kind,
                ts,
                ts,
                session,
                score,
                5 if score else None,
                1 if score else None,
                body,
            )
        )

    for i in range(30):
        ts = now_ms - 3 * 86_400_000 + i * 60_000
        session = str(uuid.uuid4())
        started = SessionStartedBody(session=session, visitor=VISITOR, card_valid=True)
        add("session.started", ts, session, started.model_dump_json())
        if i % 5 == 0:
            copy = CopyRequestedBody(session=session, document="house_registration")
            add("copy.requested", ts + 1000, session, copy.model_dump_json())
        rating = RatingBody(session=session, score=5 if i % 3 else 4, scale=5, verified=True)
        add("rating", ts + 2000, session, rating.model_dump_json(), rating.score)
    return rows


async def _seed(db: str) -> None:
    driver = await open_driver(make_settings(db))
    try:
        await add_offices(driver)
        doc = {
            "services": json.loads(SAMPLE.read_text(encoding="utf-8")),
            "office_hours": [
                {
                    "office_id": o,
                    "hours": {d: ["08:30-16:30"] for d in ("mon", "tue", "wed", "thu", "fri")},
                }
                for o in ("cm-san-sai-dol", "cm-hang-dong-dol")
            ],
            "offerings": [
                {"office_id": o, "service_id": s, "counters": ["1", "2"], "copies_made_free": True}
                for o in ("cm-san-sai-dol", "cm-hang-dong-dol", "cm-mueang-chiang-mai-dol")
                for s in ("marriage-registration", "house-registration-move-in")
            ],
        }
        await import_catalogue(driver, read_catalogue(json.dumps(doc).encode(), "seed.json"))
        await upsert_device(driver, DeviceIn(device_id="cm-sansai-c01", office_id=OFFICE))
        await write_batch(driver, IngestBatch(events=_events(int(time.time() * 1000))))
    finally:
        await driver.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = str(tmp_path_factory.mktemp("services-web") / "collector.db")
    asyncio.run(_seed(db))
    app = create_app(make_settings(db), ingest=False)
    port = free_port()
    srv = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=srv.run, name="service-pages", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "page server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with launch(tmp_path_factory.mktemp("chromium")) as b:
        yield b


def _page(browser: Browser, width: int) -> Page:
    return browser.new_page(width=width, height=800)


def _no_horizontal_scroll(page: Page) -> None:
    wide = page.evaluate(
        "Array.from(document.querySelectorAll('body *')).filter(e => "
        "e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)"
        ".map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 5)"
    )
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1"
    ), f"the page scrolls sideways: {wide}"


def _errors(page: Page) -> list[str]:
    return [str(m) for m in page.console_errors()]


@pytest.mark.parametrize("device", list(WIDTHS))
def test_service_page_documents_and_nearest_from_a_click(
    server: str, browser: Browser, device: str
) -> None:
    page = _page(browser, WIDTHS[device])
    page.goto(f"{server}/services/house-registration-move-in")
    page.wait_for("document.body.dataset.loaded === 'true'")
    assert page.evaluate("document.documentElement.lang") == "th"
    assert "การแจ้งย้ายเข้า" in page.evaluate("document.getElementById('service-name').textContent")
    copies = page.evaluate(
        "Array.from(document.querySelectorAll('#documents tbody tr')).map(r => r.dataset.copy)"
    )
    assert copies == ["unknown"] * 5
    offered = page.evaluate(
        "Array.from(document.querySelectorAll('#offered-at li')).map(li => li.dataset.officeId)"
    )
    assert sorted(offered) == sorted(
        ["cm-san-sai-dol", "cm-hang-dong-dol", "cm-mueang-chiang-mai-dol"]
    )
    assert page.evaluate("document.querySelectorAll('.office-pin').length") == 3
    rect = page.evaluate(
        "(() => { const r = document.getElementById('map').getBoundingClientRect();"
        " window.scrollTo(0, r.top + window.scrollY - 100);"
        " const q = document.getElementById('map').getBoundingClientRect();"
        " return [q.left + q.width / 2, q.top + q.height / 2]; })()"
    )
    for kind in ("mousePressed", "mouseReleased"):
        page.send(
            "Input.dispatchMouseEvent",
            {"type": kind, "x": rect[0], "y": rect[1], "button": "left", "clickCount": 1},
        )
    nearest = page.wait_for(
        "document.querySelectorAll('#nearest li').length === 3 && Array.from("
        "document.querySelectorAll('#nearest li')).map(li => [li.dataset.officeId,"
        " li.querySelectorAll('.directions a').length])"
    )
    assert all(links == 4 for _, links in nearest)
    geo = page.evaluate("document.querySelector('#nearest a[data-link=geo]').href")
    assert geo.startswith("geo:")
    _no_horizontal_scroll(page)
    page.screenshot(SHOTS / f"service-th-{device}.png")
    assert _errors(page) == []


def test_service_page_in_english_with_copy_required_document(server: str, browser: Browser) -> None:
    page = _page(browser, 360)
    page.goto(f"{server}/services/elderly-allowance-registration?lang=en")
    assert page.evaluate("document.documentElement.lang") == "en"
    copies = page.evaluate(
        "Array.from(document.querySelectorAll('#documents tbody tr td:last-child'))"
        ".map(td => td.textContent.trim())"
    )
    assert copies[2] == "⚠ Yes, the manual asks for a copy"
    assert page.evaluate("document.getElementById('offered-at-none') !== null")
    page.screenshot(SHOTS / "service-en-phone.png")


def test_service_page_keeps_its_content_when_the_api_fails(server: str, browser: Browser) -> None:
    page = _page(browser, 360)
    page.send("Network.enable")
    page.send("Network.setBlockedURLs", {"urls": ["*/api/v1/*"]})
    page.goto(f"{server}/services/marriage-registration?lang=en")
    status = page.wait_for(
        "document.body.dataset.loaded === 'error' && document.getElementById('status').textContent"
    )
    assert status.startswith("⚠ Could not load the nearest offices")
    assert page.evaluate("document.querySelectorAll('#offered-at li').length") == 3
    assert page.evaluate("document.querySelectorAll('#steps li').length") > 0
    page.screenshot(SHOTS / "service-api-down-phone.png")


@pytest.mark.parametrize("device", list(WIDTHS))
def test_office_page_services_hours_zero_copy_scorecard(
    server: str, browser: Browser, device: str
) -> None:
    page = _page(browser, WIDTHS[device])
    page.goto(f"{server}/offices/{OFFICE}?lang=en")
    page.wait_for("document.body.dataset.servicesLoaded === 'true'")
    services = page.evaluate(
        "Array.from(document.querySelectorAll('#office-services li'))"
        ".map(li => li.dataset.serviceId)"
    )
    assert sorted(services) == ["house-registration-move-in", "marriage-registration"]
    assert page.evaluate("document.querySelectorAll('#hours tbody tr').length") == 7
    zero = page.evaluate(
        "Array.from(document.querySelectorAll('#zero-copy li')).map(li => li.textContent)"
    )
    assert zero[0] == "The office says: it asks citizens for no photocopies"
    assert "a copy was requested in 6 of 30 visits with a card read (20%)" in zero[2]
    assert zero[3].startswith("Note: the office says it asks for no copies")
    card = page.evaluate("document.querySelector('#scorecard li').textContent")
    assert card.startswith("Last 7 days: mean ")
    assert "from 30 ratings (95% interval" in card
    # the rating summary opened on the period that has data, not on an empty "today"
    assert page.evaluate("document.querySelector('input[name=period]:checked').value") == "7d"
    _no_horizontal_scroll(page)
    page.screenshot(SHOTS / f"office-en-{device}.png")


def test_search_box_on_the_map_page_finds_a_thai_fragment(server: str, browser: Browser) -> None:
    page = _page(browser, 360)
    page.goto(f"{server}/map")
    assert page.evaluate("document.querySelector('form.search input[name=q]') !== null")
    page.goto(f"{server}/services?q=" + "สมรส")
    results = page.evaluate(
        "Array.from(document.querySelectorAll('#results li a')).map(a => a.getAttribute('href'))"
    )
    assert results == ["/services/marriage-registration"]
    page.goto(f"{server}/services?q=%25_%5C")
    assert page.evaluate("document.querySelectorAll('#results li').length") == 0
    page.screenshot(SHOTS / "search-th-phone.png")


def test_offline_base_map_draws_boundaries_and_names(server: str, browser: Browser) -> None:
    page = _page(browser, 1366)
    page.goto(f"{server}/map?lang=en")
    page.wait_for("document.getElementById('map').dataset.basemap === 'loaded'")
    names = page.evaluate(
        "Array.from(document.querySelectorAll('.basemap-label')).map(n => n.textContent)"
    )
    # province names when zoomed out, district names from zoom 9 (the map fits its pins)
    assert any("Chiang Mai" in name for name in names), names
    assert page.evaluate("document.querySelectorAll('.leaflet-basemap-pane path').length") > 900
    assert "CC BY-IGO" in page.evaluate(
        "document.querySelector('.leaflet-control-attribution').textContent"
    )
    page.screenshot(SHOTS / "basemap-en-desktop.png")
    licence = httpx.get(f"{server}/static/basemap/SOURCE.md", timeout=10)
    assert licence.status_code == 200
