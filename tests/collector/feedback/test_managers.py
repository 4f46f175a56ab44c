"""The managers' view: filters, hide/unhide as spam, the reply note on the citizen's status
page, QR codes, and scope (ops, A's admin, A's manager: yes; B's manager: 404)."""

from __future__ import annotations

import re

import httpx

from tests.collector.accounts.rig import Rig, csrf_of
from tests.collector.feedback.conftest import AGENCY_A, AGENCY_B, signer

LIST = "/api/v1/offices/office-a/feedback"


async def submit(rig: Rig, c: httpx.AsyncClient, **body: object) -> dict[str, str]:
    tok = await signer(rig).issue("office-a", str(body.pop("counter", "1")))
    r = await c.post("/api/v1/feedback", json={"token": tok, **body})
    assert r.status_code == 201, r.text
    ref, secret = r.json()["status_url"].rsplit("/", 2)[-2:]
    return {"reference": ref, "secret": secret}


async def test_filters_hide_and_reply(rig: Rig) -> None:
    async with rig.client() as c:
        plain = await submit(rig, c, score=5, comment="ดีมาก")
        late = await submit(rig, c, comment="รอนาน", complaint=True, category="delay")
        await submit(rig, c, comment="ห้องน้ำสกปรก", complaint=True, category="facilities")
        everything = (await c.get(LIST, headers=rig.ops)).json()["comments"]
        assert len(everything) == 3
        by_cat = (await c.get(LIST + "?category=delay", headers=rig.ops)).json()["comments"]
        assert [x["reference"] for x in by_cat] == [late["reference"]]
        assert by_cat[0]["case_state"] == "received"
        assert by_cat[0]["steps"][0]["state"] == "received"
        no_case = (await c.get(LIST + "?status=none", headers=rig.ops)).json()["comments"]
        assert [x["reference"] for x in no_case] == [plain["reference"]]
        received = (await c.get(LIST + "?status=received", headers=rig.ops)).json()["comments"]
        assert len(received) == 2
        assert len((await c.get(LIST + "?channel=web", headers=rig.ops)).json()["comments"]) == 3
        assert (await c.get(LIST + "?from=2569-01-01", headers=rig.ops)).status_code == 422
        assert (await c.get(LIST + "?category=x", headers=rig.ops)).status_code == 422
        old = (await c.get(LIST + "?from=2020-01-01&to=2020-01-31", headers=rig.ops)).json()
        assert old["comments"] == []

        cid = next(x["comment_id"] for x in everything if x["reference"] == plain["reference"])
        r = await c.post(f"/api/v1/feedback/{cid}/hide", json={"hidden": True}, headers=rig.ops)
        assert r.status_code == 200
        assert r.json()["hidden"] is True
        assert r.json()["spam"] is True
        assert len((await c.get(LIST, headers=rig.ops)).json()["comments"]) == 2
        only = (await c.get(LIST + "?hidden=only", headers=rig.ops)).json()["comments"]
        assert [x["comment_id"] for x in only] == [cid]
        r = await c.post(f"/api/v1/feedback/{cid}/hide", json={"hidden": False}, headers=rig.ops)
        assert r.json()["hidden"] is False
        assert await rig.driver.fetchval("SELECT count(*) FROM feedback_comments") == 3

        note = "ขอบคุณค่ะ ติดต่อสำนักงาน 053-123-456 ได้"
        r = await c.put(f"/api/v1/feedback/{cid}/reply", json={"text": note}, headers=rig.ops)
        assert r.status_code == 200
        assert r.json()["reply_text"] == note
        bad = await c.put(
            f"/api/v1/feedback/{cid}/reply", json={"text": "<script>x</script>"}, headers=rig.ops
        )
        assert bad.status_code == 422
        assert bad.json()["field"] == "text"
        page = await c.get(f"/f/s/{plain['reference']}/{plain['secret']}")
        assert page.status_code == 200
        assert note in page.text
        audit = await rig.driver.fetch(
            "SELECT action FROM audit_log WHERE entity = 'feedback_comment' ORDER BY id"
        )
        assert len(audit) == 3


async def test_scope_of_people(rig: Rig) -> None:
    async with rig.client() as c:
        await submit(rig, c, score=3, comment="พอใช้")
        cid = (await c.get(LIST, headers=rig.ops)).json()["comments"][0]["comment_id"]
    async with rig.person("ma@example.go.th", "manager", AGENCY_A, ["office-a"]) as ma:
        csrf = {"X-CSRF-Token": csrf_of((await ma.get("/account")).text)}
        assert len((await ma.get(LIST)).json()["comments"]) == 1
        r = await ma.post(f"/api/v1/feedback/{cid}/hide", json={"hidden": True}, headers=csrf)
        assert r.status_code == 200
        page = await ma.get("/offices/office-a/feedback?hidden=include")
        assert page.status_code == 200
        assert "พอใช้" in page.text
        # the page's own forms: unhide through the HTML form with the session's CSRF token
        form = re.search(r'action="(/offices/office-a/feedback/[0-9a-f]+/hide)"', page.text)
        assert form is not None
        r = await ma.post(form.group(1), data={"csrf_token": csrf_of(page.text), "hidden": "0"})
        assert r.status_code == 303
        assert (await ma.get(LIST)).json()["comments"][0]["hidden"] is False
        reply = re.search(r'action="(/offices/office-a/feedback/[0-9a-f]+/reply)"', page.text)
        assert reply is not None
        r = await ma.post(reply.group(1), data={"csrf_token": csrf_of(page.text), "text": "<b>x"})
        assert r.status_code == 422
        assert "ข้อความตอบกลับ: ห้ามใส่โค้ด" in r.text
        r = await ma.post(reply.group(1), data={"csrf_token": "wrong", "text": "สวัสดี"})
        assert r.status_code == 403
        r = await ma.post(reply.group(1), data={"csrf_token": csrf_of(page.text), "text": "สวัสดี"})
        assert r.status_code == 303
        assert (await ma.get(LIST)).json()["comments"][0]["reply_text"] == "สวัสดี"
        qr = await ma.get("/offices/office-a/qr")
        assert qr.status_code == 200
        assert qr.text.count("<svg") == 2
        assert "สแกน" in qr.text
        assert "@page" not in qr.text
        png = await ma.get("/api/v1/offices/office-a/qr/1?format=png")
        assert png.status_code == 200
        assert png.content.startswith(b"\x89PNG")
        svg = await ma.get("/api/v1/offices/office-a/qr/2")
        assert svg.headers["content-type"].startswith("image/svg+xml")
        assert (await ma.get("/api/v1/offices/office-a/qr/9")).status_code == 404
        links = (await ma.get("/api/v1/offices/office-a/qr")).json()["counters"]
        assert [x["counter_label"] for x in links] == ["1", "2"]
        assert all(x["url"].startswith("http://collector.test/f/k1.office-a.") for x in links)
    async with rig.person("mb@example.go.th", "manager", AGENCY_B, ["office-b"]) as mb:
        csrf = {"X-CSRF-Token": csrf_of((await mb.get("/account")).text)}
        assert (await mb.get(LIST)).status_code == 404
        r = await mb.post(f"/api/v1/feedback/{cid}/hide", json={"hidden": True}, headers=csrf)
        assert r.status_code == 404
        assert (await mb.get("/offices/office-a/feedback")).status_code == 404
        assert (await mb.get("/offices/office-a/qr")).status_code == 404
        assert (await mb.get("/api/v1/offices/office-a/qr")).status_code == 404
    async with rig.client() as c:
        assert (await c.get(LIST, headers=rig.tech)).status_code == 403
        assert (await c.get(LIST)).status_code == 401
        r = await c.get("/offices/office-a/feedback")
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login")
