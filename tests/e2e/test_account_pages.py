"""Account pages in headless Chromium against the real collector and a real SMTP server.

Registration → ops approval (API) → the emailed link → set password → first login → the survey
form, at phone width (360 px) in Thai, then the English switch. Screenshots in
``test-artifacts/accounts/``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.browser import ARTIFACTS_DIR, Page, launch
from tests.e2e.web_system import RunningSystem, run_collector
from tests.fixtures.broker import MosquittoBroker
from tests.fixtures.smtp import SmtpSink

SHOTS = ARTIFACTS_DIR / "accounts"
AGENCY = "cm-mae-rim-dopa"
OFFICE = "cm-mae-rim-dol"
EMAIL = "registrant@example.go.th"
PASSWORD = "ข้าวเหนียว mango 2026"


@pytest.fixture
def system(
    mosquitto: MosquittoBroker, smtp_server: SmtpSink, tmp_path: Path
) -> Iterator[RunningSystem]:
    env = {
        "CF_SMTP_HOST": "127.0.0.1",
        "CF_SMTP_PORT": str(smtp_server.port),
        "CF_SMTP_STARTTLS": "false",
    }
    with run_collector(mosquitto, tmp_path, **env) as running:
        yield running


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    with launch(tmp_path / "chromium") as browser:
        yield browser.new_page(width=360, height=740)


def fill(page: Page, values: dict[str, str]) -> None:
    for element_id, value in values.items():
        page.evaluate(
            f"document.getElementById({json.dumps(element_id)}).value = {json.dumps(value)}"
        )


def click_and_wait(page: Page, selector: str, ready: str) -> None:
    page.evaluate(
        "window.__old = true; document.querySelector(" + json.dumps(selector) + ").click()"
    )
    page.wait_for(f"!window.__old && document.readyState === 'complete' && !!({ready})")


def fits_phone(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.slow
def test_register_approve_first_login_and_survey(
    system: RunningSystem, smtp_server: SmtpSink, page: Page
) -> None:
    base = system.base_url
    r = system.api.post(
        "/api/v1/offices",
        json={
            "office_id": OFFICE,
            "name_th": "ที่ว่าการอำเภอแม่ริม",
            "name_en": "Mae Rim District Office",
            "agency": AGENCY,
            "province": "Chiang Mai",
        },
    )
    assert r.status_code == 201
    page.goto(base + "/register")
    fill(
        page,
        {
            "f-first_name": "สมหญิง",
            "f-last_name": "ทดสอบ",
            "f-email": "not-an-email",
            "f-phone": "053 111 222",
            "f-agency_id": AGENCY,
        },
    )
    click_and_wait(
        page, "#register-form button[type=submit]", "document.querySelector('.field-error')"
    )
    error = page.evaluate("document.querySelector('.field-error').textContent")
    assert error.startswith("อีเมล:")
    assert fits_phone(page)
    page.screenshot(SHOTS / "register-error-th.png")
    fill(page, {"f-email": EMAIL})
    click_and_wait(page, "#register-form button[type=submit]", "document.getElementById('notice')")
    page.screenshot(SHOTS / "register-done-th.png")

    [reg] = system.api.get("/api/v1/registrations").json()["registrations"]
    assert (
        system.api.post(f"/api/v1/registrations/{reg['registration_id']}/approve").status_code
        == 200
    )
    body = smtp_server.body(smtp_server.to(EMAIL)[-1])
    link = re.search(r"/password/set/[A-Za-z0-9_-]+", body)
    assert link
    page.goto(base + link.group(0))
    fill(page, {"f-password": PASSWORD, "f-password2": PASSWORD})
    click_and_wait(page, "#set-form button[type=submit]", "document.getElementById('login-form')")
    fill(page, {"f-email": EMAIL, "f-password": PASSWORD})
    click_and_wait(page, "#login-form button[type=submit]", "document.getElementById('account')")
    assert page.evaluate("document.getElementById('account').dataset.role") == "agency_admin"
    page.screenshot(SHOTS / "account-th.png")

    page.goto(f"{base}/offices/{OFFICE}/survey")
    click_and_wait(page, "#btn-submit", "document.getElementById('form-error')")
    assert page.evaluate("document.querySelector('[data-field=channels]').textContent").startswith(
        "ช่องทางการให้บริการ:"
    )
    assert fits_phone(page)
    page.screenshot(SHOTS / "survey-errors-th.png")
    fill(
        page,
        {
            "f-system_name_0": "ระบบบัตรคิว",
            "f-system_device_0": "kiosk",
            "f-service_points": "1",
            "f-counters_per_point": "4",
        },
    )
    page.evaluate(
        "document.getElementById('f-channel_counter').checked = true;"
        "document.getElementById('f-overhaul-within_6_months').checked = true"
    )
    click_and_wait(page, "#btn-submit", "document.getElementById('notice')")
    assert (
        page.evaluate("document.querySelector('#survey-history tbody tr').dataset.status")
        == "submitted"
    )
    page.screenshot(SHOTS / "survey-submitted-th.png")
    page.goto(f"{base}/analytics")
    assert page.evaluate("document.querySelectorAll('#heatmap tbody tr').length") == 7
    assert fits_phone(page)  # the wide heat-map scrolls inside its box, not the page
    page.screenshot(SHOTS / "analytics-th.png")
    page.goto(f"{base}/offices/{OFFICE}/survey?lang=en")
    assert (
        page.evaluate("document.querySelector('h1').textContent")
        == "Government service-point survey"
    )
    page.screenshot(SHOTS / "survey-en.png")
    # The two forms answered 422 on purpose (the browser logs that); nothing else may appear.
    problems = [str(m) for m in page.console_errors() if "status of 422" not in str(m)]
    assert problems == [], problems
