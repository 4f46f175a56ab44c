"""Registration → ops approval → emailed set-password link → first login (real SMTP server)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.collector.accounts.rig import Rig, running_rig
from tests.fixtures.smtp import SmtpSink

AGENCY = "cm-mae-rim-dopa"
FORM = {
    "agency_id": AGENCY,
    "first_name": "สมหญิง",
    "last_name": "ใจดี",
    "email": "Somying@Example.go.th",
    "phone": "053 111 222",
}


@pytest.fixture
async def rig(db_url: str, smtp_server: SmtpSink) -> AsyncIterator[Rig]:
    async with running_rig(db_url, smtp_server, form_client_limit="5/hour") as r:
        yield r


async def test_registration_to_first_login(rig: Rig) -> None:
    async with rig.client() as c:
        r = await c.post("/api/v1/registrations", json=FORM)
        assert r.status_code == 202
        listed = (await c.get("/api/v1/registrations?status=pending", headers=rig.ops)).json()
        [reg] = listed["registrations"]
        assert reg["email"] == "somying@example.go.th"
        assert rig.mail.messages == []  # nothing is sent before approval
        r = await c.post(f"/api/v1/registrations/{reg['registration_id']}/approve", headers=rig.ops)
        assert r.status_code == 200
        again = await c.post(
            f"/api/v1/registrations/{reg['registration_id']}/approve", headers=rig.ops
        )
        assert again.status_code == 409
    [message] = rig.mail.to("somying@example.go.th")
    body = rig.mail.body(message)
    assert "/password/set/" in body
    assert "password:" not in body.lower()  # a link, never a password
    assert (await rig.set_password("somying@example.go.th")).status_code == 303
    async with rig.client() as c:
        assert (await rig.login(c, "somying@example.go.th")).status_code == 303
        me = (await c.get("/api/v1/me")).json()
        assert me["role"] == "agency_admin"
        assert me["agency_id"] == AGENCY


async def test_reject_emails_the_reason(rig: Rig) -> None:
    async with rig.client() as c:
        await c.post("/api/v1/registrations", json=FORM)
        [reg] = (await c.get("/api/v1/registrations", headers=rig.ops)).json()["registrations"]
        url = f"/api/v1/registrations/{reg['registration_id']}/reject"
        r = await c.post(url, json={"reason": ""}, headers=rig.ops)
        assert r.status_code == 422
        assert r.json()["field"] == "reason"
        r = await c.post(url, json={"reason": "ไม่ใช่เจ้าหน้าที่ของหน่วยงาน"}, headers=rig.ops)
        assert r.status_code == 200
    [message] = rig.mail.to("somying@example.go.th")
    assert "ไม่ใช่เจ้าหน้าที่ของหน่วยงาน" in rig.mail.body(message)
    assert await rig.driver.fetchval("SELECT count(*) FROM people") == 0


async def test_bad_input_names_the_field_and_stores_nothing(rig: Rig) -> None:
    async with rig.client() as c:
        for field, value in (("email", "not-an-email"), ("phone", "call me"), ("first_name", "")):
            r = await c.post("/api/v1/registrations", json={**FORM, field: value})
            assert r.status_code == 422
            assert r.json()["field"] == field
        r = await c.post("/api/v1/registrations", json={**FORM, "agency_id": "no-such-agency"})
        assert r.status_code == 422
        assert r.json()["field"] == "agency_id"
        assert await rig.driver.fetchval("SELECT count(*) FROM registrations") == 0
        assert (await c.post("/api/v1/registrations", json=FORM)).status_code == 202
        r = await c.post("/api/v1/registrations", json=FORM)
        assert r.status_code == 409
        assert r.json()["field"] == "email"


async def test_honeypot_and_rate_limit(rig: Rig) -> None:
    async with rig.client() as c:
        r = await c.post("/api/v1/registrations", json={**FORM, "website": "http://spam"})
        assert r.status_code == 202  # same answer as a real request ...
        assert await rig.driver.fetchval("SELECT count(*) FROM registrations") == 0  # ... dropped
        for n in range(4):
            body = {**FORM, "email": f"person{n}@example.go.th"}
            assert (await c.post("/api/v1/registrations", json=body)).status_code == 202
        r = await c.post("/api/v1/registrations", json={**FORM, "email": "late@example.go.th"})
        assert r.status_code == 429
    assert await rig.driver.fetchval("SELECT count(*) FROM registrations") == 4


async def test_seeded_agency_hierarchy(rig: Rig) -> None:
    async with rig.client() as c:
        agencies = {a["agency_id"]: a for a in (await c.get("/api/v1/agencies")).json()["agencies"]}
    assert agencies["moi"]["level"] == "ministry"
    assert agencies["dopa"]["parent_id"] == "moi"
    assert agencies["dopa-cm"]["parent_id"] == "dopa"
    districts = [a for a in agencies.values() if a["level"] == "district"]
    assert len(districts) == 25
    assert all(a["parent_id"] == "dopa-cm" for a in districts)
    assert agencies[AGENCY]["name_th"] == "ที่ว่าการอำเภอแม่ริม"
