"""The service-point survey: drafts, submission, history that is never overwritten, completion."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest

from collector.accounts.completion import completion
from tests.collector.accounts.rig import Rig, csrf_of, running_rig
from tests.fixtures.smtp import SmtpSink

OFFICE = "cm-mae-rim-dol"
AGENCY = "cm-mae-rim-dopa"
COMPLETE = {
    "systems": [{"name": "ระบบทะเบียนราษฎร", "vendor": "DOPA", "device_kind": "desktop"}],
    "channels": [
        {"kind": "counter", "details": "3 ช่อง"},
        {"kind": "line", "details": "@maerim"},
    ],
    "service_points": 2,
    "counters_per_point": 3,
    "overhaul": "within_6_months",
    "overhaul_reason": "",
}


@pytest.fixture
async def rig(db_url: str, smtp_server: SmtpSink) -> AsyncIterator[Rig]:
    async with running_rig(db_url, smtp_server) as r:
        await r.office(OFFICE, AGENCY)
        await r.office("cm-san-sai-dol", "cm-san-sai-dopa")
        yield r


async def test_draft_submit_history(rig: Rig) -> None:
    async with rig.person("m@example.go.th", "manager", AGENCY, [OFFICE]) as c:
        csrf = {
            "X-CSRF-Token": (await c.get("/account"))
            .text.split('name="csrf_token" value="')[1]
            .split('"')[0]
        }
        url = f"/api/v1/offices/{OFFICE}/survey"
        r = await c.put(url + "/draft", json={"service_points": 1}, headers=csrf)
        assert r.json()["version"] == 1
        r = await c.put(url + "/draft", json={**COMPLETE, "overhaul": None}, headers=csrf)
        assert r.json()["version"] == 2
        # Submitting incomplete answers: 422 naming the field, nothing saved.
        r = await c.post(url + "/submit", json={**COMPLETE, "overhaul": None}, headers=csrf)
        assert r.status_code == 422
        assert r.json()["field"] == "overhaul"
        r = await c.post(url + "/submit", json={**COMPLETE, "overhaul": "not_sure"}, headers=csrf)
        assert r.json()["field"] == "overhaul_reason"
        r = await c.post(
            url + "/submit",
            json={**COMPLETE, "channels": [{"kind": "other", "details": ""}]},
            headers=csrf,
        )
        assert r.json()["field"] == "channels.0.details"
        r = await c.post(url + "/submit", json={**COMPLETE, "service_points": -1}, headers=csrf)
        assert r.status_code == 422
        assert r.json()["field"] == "service_points"
        r = await c.post(url + "/submit", json=COMPLETE, headers=csrf)
        assert r.status_code == 201
        assert r.json()["version"] == 3
        r = await c.post(url + "/submit", json={**COMPLETE, "service_points": 4}, headers=csrf)
        assert r.json()["version"] == 4
        survey = (await c.get(url)).json()
        assert [h["status"] for h in survey["history"]] == [
            "draft",
            "draft",
            "submitted",
            "submitted",
        ]
        assert survey["latest_submission"]["answers"]["service_points"] == 4
        first = (await c.get(url + "/versions/1")).json()
        assert first["answers"]["service_points"] == 1  # history is never overwritten
        assert first["answers"]["channels"] == []
        third = (await c.get(url + "/versions/3")).json()
        assert third["answers"]["service_points"] == 2
        assert (await c.get(url + "/versions/9")).status_code == 404
        # The manager's scope: another agency's office does not exist for them.
        r = await c.put("/api/v1/offices/cm-san-sai-dol/survey/draft", json={}, headers=csrf)
        assert r.status_code == 404


async def test_survey_page_refuses_a_wrong_csrf_token_and_keeps_the_answers(rig: Rig) -> None:
    async with rig.person("m@example.go.th", "manager", AGENCY, [OFFICE]) as c:
        url = f"/offices/{OFFICE}/survey"
        page = await c.get(url)
        form = {"csrf_token": "wrong", "service_points": "3", "action": "draft"}
        r = await c.post(url, data=form)
        assert r.status_code == 403
        assert "แบบฟอร์มหมดอายุ กรุณาโหลดหน้านี้ใหม่แล้วลองอีกครั้ง" in r.text
        assert 'value="3"' in r.text  # what was typed stays
        assert await rig.driver.fetchval("SELECT count(*) FROM survey_versions") == 0
        r = await c.post(url, data={**form, "csrf_token": csrf_of(page.text)})
        assert r.status_code == 303
        assert r.headers["location"] == f"{url}?saved=draft&v=1"
    assert await rig.driver.fetchval("SELECT count(*) FROM survey_versions") == 1


async def test_completion_per_province_and_agency_with_deadline(rig: Rig) -> None:
    await rig.office("cm-doi-lo-dol", AGENCY)
    async with rig.client() as c:
        r = await c.put(
            f"/api/v1/offices/{OFFICE}/pin", json={"lat": 18.86, "lon": 98.94}, headers=rig.ops
        )
        assert r.status_code == 200
        r = await c.post(f"/api/v1/offices/{OFFICE}/survey/submit", json=COMPLETE, headers=rig.ops)
        assert r.status_code == 201
        await c.put("/api/v1/offices/cm-doi-lo-dol/survey/draft", json={}, headers=rig.ops)
        view = (await c.get("/api/v1/surveys/completion", headers=rig.ops)).json()
    groups = {g["agency"]: g for g in view["groups"]}
    assert groups[AGENCY]["offices"] == 2
    assert groups[AGENCY]["surveyed"] == 1  # a draft is not a submission
    assert groups[AGENCY]["pinned"] == {"gps": 0, "manual": 1, "provisioned": 0, "none": 1}
    assert view["late"] == []  # no deadline set
    late = await completion(rig.driver, date(2026, 1, 31), today=date(2026, 2, 1))
    assert sorted(o["office_id"] for o in late["late"]) == ["cm-doi-lo-dol", "cm-san-sai-dol"]
    early = await completion(rig.driver, date(2026, 1, 31), today=date(2026, 1, 31))
    assert early["late"] == []
