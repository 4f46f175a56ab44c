"""The citizen's phone form and status page in headless Chromium at 320 px (Thai, English).

The real app (``create_app``, lifespan on, SQLite, no MQTT) behind uvicorn, an office with a
counter, a signed counter link; the browser fills the form as a citizen would, is told what is
wrong, fixes it and lands on the status page. Screenshots go to ``test-artifacts/feedback/``.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn

from collector.accounts.passwords import hash_password
from collector.accounts.people import PersonIn, insert_person
from collector.accounts.principal import PersonRole
from collector.api.app import create_app
from collector.cases.sealing import ContactSealer, use_sealer
from collector.feedback.context import FeedbackContext
from collector.feedback.keys import Signer
from collector.feedback.settings import FeedbackSettings
from collector.registry import DeviceIn, OfficeIn
from collector.registry_writes import upsert_device, upsert_office
from collector.storage import open_driver
from tests.collector.conftest import make_settings
from tests.e2e.browser import ARTIFACTS_DIR, Browser, Page, launch
from tests.fixtures.ports import free_port

SHOTS = ARTIFACTS_DIR / "feedback"
WIDTH = 320
SECRET = "e2e-feedback-secret-" + "z" * 32
AGENCY = "cm-mueang-chiang-mai-dopa"
MANAGER = "somying.manager@example.go.th"
PASSWORD = "a long test password 1"


@dataclass
class Site:
    base: str
    db: str
    token: str


async def _seed(db: str, settings: FeedbackSettings) -> str:
    driver = await open_driver(make_settings(db))
    try:
        await upsert_office(
            driver,
            OfficeIn(
                office_id="cm-san-sai-dol",
                name_th="ที่ว่าการอำเภอสันทราย",
                name_en="San Sai District Office",
                agency=AGENCY,
            ),
        )
        for device, label in (("dev-1", "3"), ("dev-2", "4")):
            await upsert_device(
                driver, DeviceIn(device_id=device, office_id="cm-san-sai-dol", counter_label=label)
            )
        person = PersonIn(
            email=MANAGER,
            first_name="สมหญิง",
            last_name="ทดสอบ",
            role=PersonRole.MANAGER,
            agency_id=AGENCY,
            office_ids=["cm-san-sai-dol"],
        )
        async with driver.transaction() as tx:
            person_id = await insert_person(tx, person)
            await tx.execute(
                "UPDATE people SET password_hash = ? WHERE person_id = ?",
                hash_password(PASSWORD),
                person_id,
            )
        return await Signer(driver, settings).issue("cm-san-sai-dol", "3")
    finally:
        await driver.close()


async def _fetch(db: str, sql: str) -> list[dict[str, object]]:
    driver = await open_driver(make_settings(db))
    try:
        return await driver.fetch(sql)
    finally:
        await driver.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    db = str(tmp_path_factory.mktemp("feedback-web") / "collector.db")
    port = free_port()
    fb = FeedbackSettings(feedback_secret=SECRET, public_url=f"http://127.0.0.1:{port}")
    token = asyncio.run(_seed(db, fb))
    use_sealer(ContactSealer({"e2e": os.urandom(32)}))
    app = create_app(make_settings(db), ingest=False)
    app.state.feedback = FeedbackContext(fb)
    srv = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=srv.run, name="feedback-pages", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "page server did not start"
    try:
        yield Site(f"http://127.0.0.1:{port}", db, token)
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
        use_sealer(None)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with launch(tmp_path_factory.mktemp("chromium")) as b:
        yield b


def _no_horizontal_scroll(page: Page) -> None:
    wide = page.evaluate(
        "Array.from(document.querySelectorAll('body *')).filter(e => "
        "e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)"
        ".map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 5)"
    )
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1"
    ), f"the page scrolls sideways at {WIDTH} px: {wide}"


def _set(page: Page, selector: str, value: str) -> None:
    page.evaluate(f"document.querySelector({selector!r}).value = {value!r}")


def _click(page: Page, selector: str) -> None:
    page.evaluate(f"document.querySelector({selector!r}).click()")


def test_a_complaint_from_a_phone_in_thai(site: Site, browser: Browser) -> None:
    page = browser.new_page(width=WIDTH, height=740)
    page.goto(f"{site.base}/f/{site.token}?lang=th")
    assert page.evaluate("document.documentElement.lang") == "th"
    assert page.evaluate("document.querySelectorAll('input[name=score]').length") == 5
    assert "พระราชบัญญัติคุ้มครองข้อมูลส่วนบุคคล" in page.evaluate(
        "document.getElementById('consent-text').textContent"
    )
    _no_horizontal_scroll(page)
    page.screenshot(SHOTS / "form-th-320.png")

    # A complaint with a script and no category: told what is wrong, field by field.
    _set(page, "#f-comment", "<script>alert(1)</script>")
    _click(page, "#f-complaint")
    _click(page, "#fb-send")
    errors = page.wait_for(
        "document.querySelectorAll('.field-error').length > 0 && Array.from("
        "document.querySelectorAll('.field-error')).map(e => [e.dataset.field, e.textContent])"
    )
    fields = dict(errors)
    assert set(fields) == {"comment", "category"}
    assert fields["comment"].startswith("ความคิดเห็น:")
    assert fields["category"].startswith("ประเภทเรื่องร้องเรียน:")
    assert page.evaluate("document.getElementById('f-complaint').checked") is True
    assert _fetch_count(site) == 0
    _no_horizontal_scroll(page)
    page.screenshot(SHOTS / "form-errors-th-320.png")

    # Fixed: a score, words with a phone number, a category, a contact with consent.
    _click(page, "#score-2")
    _set(page, "#f-comment", "รอนานสองชั่วโมง โทรหาฉันที่ ๐๘๑-๒๓๔-๕๖๗๘")
    _set(page, "#f-category", "delay")
    _click(page, "#kind-phone")
    _set(page, "#f-contact", "081 234 5678")
    _click(page, "#f-consent")
    _click(page, "#fb-send")
    page.wait_for("location.pathname.startsWith('/f/s/') && !!document.getElementById('reference')")
    reference = page.evaluate("document.getElementById('reference').textContent")
    assert reference.startswith("FB-")
    comment = page.evaluate("document.getElementById('comment').textContent")
    assert comment == "รอนานสองชั่วโมง โทรหาฉันที่ [ลบข้อมูลส่วนบุคคล]"
    steps = page.evaluate(
        "Array.from(document.querySelectorAll('#steps li')).map(li => li.dataset.state)"
    )
    assert steps == ["received"]
    assert page.evaluate("document.getElementById('notice').textContent") == "ขอบคุณสำหรับความคิดเห็น"
    _no_horizontal_scroll(page)
    page.screenshot(SHOTS / "status-th-320.png")
    unexpected = [str(m) for m in page.console_errors() if "status of 422" not in m.text]
    assert unexpected == []  # the refused post above is the one expected 422
    rows = asyncio.run(_fetch(site.db, "SELECT body, score, is_complaint FROM feedback_comments"))
    assert rows == [{"body": comment, "score": 2, "is_complaint": 1}]
    cases = asyncio.run(_fetch(site.db, "SELECT has_contact, category FROM cases"))
    assert cases == [{"has_contact": 1, "category": "delay"}]


def _fetch_count(site: Site) -> int:
    rows = asyncio.run(_fetch(site.db, "SELECT count(*) AS n FROM feedback_comments"))
    return int(rows[0]["n"])  # type: ignore[call-overload]


def test_the_english_switch_and_a_plain_rating(site: Site, browser: Browser) -> None:
    page = browser.new_page(width=WIDTH, height=740)
    page.goto(f"{site.base}/f/{site.token}?lang=th")
    href = page.evaluate("document.getElementById('lang-switch').getAttribute('href')")
    page.goto(site.base + href)
    assert page.evaluate("document.documentElement.lang") == "en"
    assert (
        page.evaluate("document.querySelector('h1').textContent") == "Your feedback on our service"
    )
    _no_horizontal_scroll(page)
    page.screenshot(SHOTS / "form-en-320.png")
    # Keyboard only: focus the first score, arrow to the fifth, Enter sends the form.
    page.evaluate("document.getElementById('score-1').focus()")
    for _ in range(4):
        for kind in ("keyDown", "keyUp"):
            page.send(
                "Input.dispatchKeyEvent",
                {
                    "type": kind,
                    "key": "ArrowRight",
                    "code": "ArrowRight",
                    "windowsVirtualKeyCode": 39,
                },
            )
    assert page.evaluate("document.querySelector('input[name=score]:checked').value") == "5"
    page.evaluate("document.getElementById('fb-send').focus()")
    for kind in ("keyDown", "keyUp"):
        page.send(
            "Input.dispatchKeyEvent",
            {"type": kind, "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13,
             **({"text": "\r"} if kind == "keyDown" else {})},
        )  # fmt: skip
    page.wait_for("location.pathname.startsWith('/f/s/') && !!document.getElementById('reference')")
    assert page.evaluate("document.getElementById('no-case').textContent").startswith("A comment")
    page.screenshot(SHOTS / "status-en-320.png")
    rollups = asyncio.run(_fetch(site.db, "SELECT device_id, score FROM rating_rollups"))
    assert {"device_id": "web:3", "score": 5} in rollups


def test_a_tampered_code_gets_a_friendly_page(site: Site, browser: Browser) -> None:
    page = browser.new_page(width=WIDTH, height=740)
    tampered = site.token[:-4] + ("AAAA" if not site.token.endswith("AAAA") else "BBBB")
    page.goto(f"{site.base}/f/{tampered}?lang=th")
    text = page.evaluate("document.getElementById('bad-code').textContent")
    assert "QR code นี้ไม่ถูกต้อง" in text
    _no_horizontal_scroll(page)
    page.screenshot(SHOTS / "bad-code-th-320.png")
    # the page itself answers 404 (a friendly one): that is the only console line
    assert all("status of 404" in m.text for m in page.console_errors())


def test_the_manager_prints_the_counters_codes_on_a4(site: Site, browser: Browser) -> None:
    page = browser.new_page(width=360, height=740)
    page.goto(f"{site.base}/login?next=/offices/cm-san-sai-dol/qr")
    _set(page, "#f-email", MANAGER)
    _set(page, "#f-password", PASSWORD)
    page.evaluate("document.querySelector('form[action^=\"/login\"]').submit()")
    page.wait_for(
        "location.pathname === '/offices/cm-san-sai-dol/qr' && !!document.querySelector('.qr-card')"
    )
    labels = page.evaluate(
        "Array.from(document.querySelectorAll('.qr-card h2')).map(h => h.textContent)"
    )
    assert labels == ["ช่องบริการ 3", "ช่องบริการ 4"]
    assert page.evaluate("document.querySelectorAll('.qr-card svg path').length") == 2
    _no_horizontal_scroll(page)
    page.screenshot(SHOTS / "qr-sheet-360.png")
    page.send("Emulation.setEmulatedMedia", {"media": "print"})
    hidden = page.evaluate(
        "[getComputedStyle(document.querySelector('header.site')).display,"
        " getComputedStyle(document.querySelector('.no-print')).display]"
    )
    assert hidden == ["none", "none"]
    pdf = page.send(
        "Page.printToPDF",
        {"preferCSSPageSize": True, "printBackground": False},
        timeout=30,
    )["data"]
    data = base64.b64decode(pdf)
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "qr-sheet-a4.pdf").write_bytes(data)
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page[^s]", data)) == 1  # two counters fit on one A4 sheet
    page.send("Emulation.setEmulatedMedia", {"media": ""})

    # The managers' page lists the complaint sent above, with its case state.
    page.goto(f"{site.base}/offices/cm-san-sai-dol/feedback")
    states = page.evaluate(
        "Array.from(document.querySelectorAll('#comments .fb-state')).map(e => e.textContent)"
    )
    assert "รับเรื่องแล้ว" in states
    _no_horizontal_scroll(page)
    page.screenshot(SHOTS / "manage-th-360.png")
