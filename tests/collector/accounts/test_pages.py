"""The account pages as a browser without JavaScript uses them: forms, CSRF, errors, scope."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from tests.collector.accounts.rig import Rig, csrf_of, running_rig
from tests.fixtures.smtp import SmtpSink

AGENCY = "cm-san-sai-dopa"
OFFICE = "cm-san-sai-dol"
FORM = {
    "agency_id": AGENCY,
    "first_name": "สมชาย",
    "last_name": "ทดสอบ",
    "email": "somchai@example.go.th",
    "phone": "0812345678",
    "website": "",
}


@pytest.fixture
async def rig(db_url: str, smtp_server: SmtpSink) -> AsyncIterator[Rig]:
    async with running_rig(db_url, smtp_server) as r:
        await r.office(OFFICE, AGENCY)
        await r.office("cm-hang-dong-dol", "cm-hang-dong-dopa")
        yield r


async def test_register_page_errors_in_thai_then_english_and_csrf(rig: Rig) -> None:
    async with rig.client() as c:
        page = await c.get("/register")
        assert page.status_code == 200
        assert "ที่ว่าการอำเภอสันทราย" in page.text
        token = csrf_of(page.text)
        r = await c.post("/register", data=FORM)  # no token
        assert r.status_code == 403
        bad = {**FORM, "email": "nope", "phone": "", "csrf_token": token}
        r = await c.post("/register", data=bad)
        assert r.status_code == 422
        assert "อีเมล: รูปแบบอีเมลไม่ถูกต้อง" in r.text
        assert 'data-field="phone"' in r.text
        assert 'value="สมชาย"' in r.text  # what was typed stays
        r = await c.post("/register?lang=en", data={**bad, "email": FORM["email"]})
        assert "Phone: 6–20 digits" in r.text
        assert await rig.driver.fetchval("SELECT count(*) FROM registrations") == 0
        r = await c.post("/register", data={**FORM, "csrf_token": token})
        assert r.status_code == 200
        assert "Registration received" in r.text  # the English switch is remembered
    assert await rig.driver.fetchval("SELECT count(*) FROM registrations") == 1


async def test_ops_approve_page_then_first_login(rig: Rig) -> None:
    async with rig.client() as c:
        page = await c.get("/register")
        await c.post("/register", data={**FORM, "csrf_token": csrf_of(page.text)})
    async with rig.person("ops@example.go.th", "ops") as ops:
        page = await ops.get("/ops/registrations")
        assert page.status_code == 200
        [reg_id] = re.findall(r'data-registration-id="([0-9a-f]+)"', page.text)
        r = await ops.post(f"/ops/registrations/{reg_id}/approve", data={})
        assert r.status_code == 403  # no CSRF token: nothing approved
        assert await rig.driver.fetchval("SELECT count(*) FROM people") == 1
        r = await ops.post(
            f"/ops/registrations/{reg_id}/approve", data={"csrf_token": csrf_of(page.text)}
        )
        assert r.status_code == 303
    assert (await rig.set_password(FORM["email"])).status_code == 303
    async with rig.client() as c:
        assert (await rig.login(c, FORM["email"])).status_code == 303
        assert (await c.get("/ops/registrations")).status_code == 404  # not ops
        account = await c.get("/account")
        assert "ผู้ดูแลหน่วยงาน" in account.text


async def test_survey_page_draft_submit_and_scope(rig: Rig) -> None:
    async with rig.person("m@example.go.th", "manager", AGENCY, [OFFICE]) as c:
        page = await c.get(f"/offices/{OFFICE}/survey")
        assert page.status_code == 200
        token = csrf_of(page.text)
        assert (await c.get("/offices/cm-hang-dong-dol/survey")).status_code == 404
        form = {
            "csrf_token": token,
            "system_name_0": "ระบบคิว",
            "system_device_0": "kiosk",
            "channel_counter": "on",
            "service_points": "2.5",
            "action": "draft",
        }
        r = await c.post(f"/offices/{OFFICE}/survey", data=form)
        assert r.status_code == 422
        assert "จำนวนจุดให้บริการ: กรอกเป็นตัวเลข" in r.text
        form["service_points"] = "2"
        r = await c.post(f"/offices/{OFFICE}/survey", data=form)
        assert r.status_code == 303
        r = await c.post(f"/offices/{OFFICE}/survey", data={**form, "action": "submit"})
        assert r.status_code == 422
        assert 'data-field="counters_per_point"' in r.text
        done = {**form, "counters_per_point": "3", "overhaul": "none", "action": "submit"}
        r = await c.post(f"/offices/{OFFICE}/survey", data=done)
        assert r.status_code == 303
        page = await c.get(r.headers["location"])
        assert "ส่งแบบสำรวจแล้ว (ฉบับที่ 2)" in page.text
        assert re.findall(r'data-status="(\w+)"', page.text) == ["submitted", "draft"]
        assert 'value="ระบบคิว"' in page.text
    async with rig.person(
        "other@example.go.th", "manager", "cm-hang-dong-dopa", ["cm-hang-dong-dol"]
    ) as other:
        assert (await other.get(f"/offices/{OFFICE}/survey")).status_code == 404
        r = await other.post(f"/offices/{OFFICE}/survey", data={"action": "draft"})
        assert r.status_code == 404
    assert await rig.driver.fetchval("SELECT count(*) FROM survey_versions") == 2
