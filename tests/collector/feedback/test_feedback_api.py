"""The citizen's submission through the API, on SQLite and PostgreSQL: what is stored, what is
refused (and then nothing is stored), spam, duplicates, rate limits, complaints → cases."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import httpx
import pytest

from collector.feedback.pii import MARK
from tests.collector.accounts.rig import Rig
from tests.collector.feedback.conftest import RigFactory, signer

CANARY_ID = "9901700230706"  # synthetic: passes the checksum, belongs to no one
CANARY_PHONE = "0812345678"


async def count(rig: Rig, table: str) -> int:
    return int(await rig.driver.fetchval(f"SELECT count(*) FROM {table}"))  # noqa: S608


async def post(c: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    return await c.post("/api/v1/feedback", json=body)


async def token(rig: Rig, counter: str = "1", office: str = "office-a") -> str:
    return await signer(rig).issue(office, counter)


def status_path(url: str) -> tuple[str, str]:
    """(reference, secret) of a status link."""
    ref, secret = url.rsplit("/", 2)[-2:]
    return ref, secret


async def test_a_comment_is_stored_stripped_and_counted_as_a_web_rating(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = {
        "token": await token(rig),
        "score": 4,
        "comment": f"บริการดี บัตร {CANARY_ID} โทร {CANARY_PHONE}",
    }
    async with rig.client() as c:
        r = await post(c, body)
        assert r.status_code == 201, r.text
        ref, secret = status_path(r.json()["status_url"])
        s = await c.get(f"/api/v1/feedback/status/{ref}", params={"secret": secret})
        assert s.status_code == 200
        assert s.json()["body"] == f"บริการดี บัตร {MARK} โทร {MARK}"
        assert "secret_hash" not in s.json()
        wrong = await c.get(f"/api/v1/feedback/status/{ref}", params={"secret": "0" * 36})
        assert wrong.status_code == 404
    row = await rig.driver.fetchrow("SELECT * FROM feedback_comments")
    assert row is not None
    assert row["channel"] == "web"
    assert row["pii_removed"] == 2
    assert secret not in str(row.values())
    dump = str(await rig.driver.fetch("SELECT * FROM feedback_comments"))
    assert CANARY_ID not in dump
    assert CANARY_PHONE not in dump
    rollups = await rig.driver.fetch(
        "SELECT device_id, office_id, scale, score, n FROM rating_rollups"
    )
    assert rollups == [
        {"device_id": "web:1", "office_id": "office-a", "scale": 5, "score": 4, "n": 1}
    ]
    assert await count(rig, "events") == 0  # never mixed into the button events
    logged = "\n".join(r.getMessage() + str(r.__dict__) for r in caplog.records)
    assert "feedback stored" in logged
    assert CANARY_ID not in logged
    assert CANARY_PHONE not in logged


async def test_a_complaint_opens_its_case_with_the_sealed_contact(rig: Rig) -> None:
    body = {
        "token": await token(rig, "2"),
        "comment": "รอนานมาก เจ้าหน้าที่ไม่อยู่",
        "complaint": True,
        "category": "delay",
        "contact_kind": "phone",
        "contact": "081-234-5678",
        "consent": True,
    }
    async with rig.client() as c:
        r = await post(c, body)
        assert r.status_code == 201, r.text
        ref, secret = status_path(r.json()["status_url"])
        s = (await c.get(f"/api/v1/feedback/status/{ref}", params={"secret": secret})).json()
    assert [step["state"] for step in s["steps"]] == ["received"]
    case = await rig.driver.fetchrow("SELECT * FROM cases")
    comment = await rig.driver.fetchrow("SELECT * FROM feedback_comments")
    assert case is not None
    assert comment is not None
    assert case["comment_id"] == comment["comment_id"] == case["comment_id"]
    assert comment["case_id"] == case["case_id"]
    assert case["has_contact"] == 1
    assert case["category"] == "delay"
    assert case["counter_label"] == "2"
    sealed = await rig.driver.fetchrow("SELECT sealed FROM case_contacts")
    assert sealed is not None
    assert b"0812345678" not in bytes(sealed["sealed"])
    assert CANARY_PHONE not in str(dict(comment))
    assert CANARY_PHONE not in str(dict(case))


async def test_no_consent_no_contact_and_nothing_stored(rig: Rig) -> None:
    body = {
        "token": await token(rig),
        "comment": "ถูกเรียกสำเนา",
        "complaint": True,
        "category": "copy_or_fee",
        "contact_kind": "email",
        "contact": "somchai@example.com",
        "consent": False,
    }
    async with rig.client() as c:
        r = await post(c, body)
        assert r.status_code == 422
        assert r.json()["field"] == "consent"
        assert "ความยินยอม" in r.json()["error"]
        body.pop("contact")
        body.pop("contact_kind")
        assert (await post(c, body)).status_code == 201
    case = await rig.driver.fetchrow("SELECT has_contact FROM cases")
    assert case == {"has_contact": 0}
    assert await count(rig, "case_contacts") == 0


BAD: list[tuple[str, dict[str, Any], int, str]] = [
    ("no token", {"token": None}, 422, "token"),
    ("oversize comment", {"comment": "ก" * 2001}, 422, "comment"),
    ("huge comment", {"comment": "x" * 30000}, 422, "comment"),
    ("score of the wrong type", {"score": "มาก"}, 422, "score"),
    ("score off the scale", {"score": 9}, 422, "score"),
    ("score zero", {"score": 0}, 422, "score"),
    ("script", {"comment": "<script>alert(1)</script>"}, 422, "comment"),
    ("event handler", {"comment": "x <img src=x onerror=alert(1)>"}, 422, "comment"),
    ("javascript url", {"comment": "javascript:alert(1)"}, 422, "comment"),
    ("neither score nor comment", {"score": None, "comment": ""}, 422, "score"),
    ("complaint without category", {"complaint": True}, 422, "category"),
    ("unknown category", {"complaint": True, "category": "aliens"}, 422, "category"),
    (
        "complaint without words",
        {"complaint": True, "category": "delay", "comment": ""},
        422,
        "comment",
    ),
    (
        "contact on a plain comment",
        {"contact_kind": "phone", "contact": "0812345678"},
        422,
        "contact",
    ),
    (
        "bad phone",
        {
            "complaint": True,
            "category": "delay",
            "contact_kind": "phone",
            "contact": "12",
            "consent": True,
        },
        422,
        "contact",
    ),
    (
        "bad email",
        {
            "complaint": True,
            "category": "delay",
            "contact_kind": "email",
            "contact": "not-an-email",
            "consent": True,
        },
        422,
        "contact",
    ),
    ("unknown field", {"name": "Somchai"}, 422, "name"),
    ("comment of the wrong type", {"comment": ["a"]}, 422, "comment"),
    ("bad nonce", {"nonce": "<x>"}, 422, "nonce"),
    ("tampered token", {"token": "k1.office-a.MQ.99999.AAAAAAAAAAAAAAAAAAAAAA"}, 404, "token"),
    ("garbage token", {"token": "' OR 1=1 --"}, 404, "token"),
]


async def test_bad_input_names_the_field_and_stores_nothing(rig: Rig) -> None:
    """Every case of BAD against one database (one app per database keeps this fast)."""
    tok = await token(rig)
    wrong = []
    async with rig.client() as c:
        for name, change, status, field in BAD:
            body = {"token": tok, "score": 3, "comment": "ok", **change}
            body = {k: v for k, v in body.items() if v is not None or k == "score"}
            r = await post(c, body)
            got = (r.status_code, r.json().get("field"), r.json()["error"].split(":", 1)[0])
            if got != (status, field, field):
                wrong.append(f"{name}: {got} {r.text[:120]}")
    assert not wrong, "\n".join(wrong)
    assert await count(rig, "feedback_comments") == 0
    assert await count(rig, "rating_rollups") == 0
    assert await count(rig, "cases") == 0


async def test_messages_follow_the_citizen_language(rig: Rig) -> None:
    async with rig.client() as c:
        th = await post(c, {"token": await token(rig), "score": 9})
        en = await post(c, {"token": await token(rig), "score": 9, "lang": "en"})
    assert th.json()["error"] == "score: คะแนน: เลือกคะแนน 1 ถึง 5"
    assert en.json()["error"] == "score: Score: choose a score from 1 to 5"


async def test_duplicates_return_the_first_receipt(rig: Rig) -> None:
    tok = await token(rig)
    async with rig.client() as c:
        first = await post(c, {"token": tok, "score": 5, "nonce": "form-abcdef12"})
        again = await post(c, {"token": tok, "score": 5, "nonce": "form-abcdef12"})
        same_text = await post(c, {"token": tok, "score": 5, "comment": "ดีมาก"})
        same_text2 = await post(c, {"token": tok, "score": 5, "comment": "ดีมาก"})
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == {**first.json(), "duplicate": True}
    assert same_text.status_code == 201
    assert same_text2.json()["duplicate"] is True
    assert same_text2.json()["reference"] == same_text.json()["reference"]
    assert await count(rig, "feedback_comments") == 2
    assert await rig.driver.fetchval("SELECT sum(n) FROM rating_rollups") == 2


async def test_honeypot_spam_is_kept_flagged_and_hidden_never_counted(rig: Rig) -> None:
    body = {
        "token": await token(rig),
        "score": 1,
        "comment": "แย่",
        "complaint": True,
        "category": "other",
        "website": "http://spam.example",
    }
    async with rig.client() as c:
        r = await post(c, body)
        assert r.status_code == 201  # a bot learns nothing
        links = "buy http://a.example http://b.example www.c.example now"
        assert (await post(c, {"token": await token(rig), "comment": links})).status_code == 201
    rows = await rig.driver.fetch("SELECT spam, hidden, spam_reason FROM feedback_comments")
    assert sorted(r["spam_reason"] for r in rows) == ["honeypot", "links"]
    assert all(r["spam"] == 1 and r["hidden"] == 1 for r in rows)
    assert await count(rig, "rating_rollups") == 0
    assert await count(rig, "cases") == 0


async def test_rate_limit_per_client(make_rig: RigFactory) -> None:
    async with make_rig(feedback_client_limit="3/minute") as rig, rig.client() as c:
        tok = await token(rig)
        codes = [(await post(c, {"token": tok, "score": n})).status_code for n in (1, 2, 3, 4)]
        assert codes == [201, 201, 201, 429]
        form = await c.get(f"/f/{tok}")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert csrf is not None
        page = await c.post(f"/f/{tok}", data={"csrf_token": csrf.group(1), "score": "5"})
        assert page.status_code == 429
        assert "ส่งบ่อยเกินไป" in page.text
        r = await post(c, {"token": tok, "score": 5})
        assert r.status_code == 429
        assert r.json()["field"] == "token"
        assert await count(rig, "feedback_comments") == 3


async def test_rate_limit_per_counter(make_rig: RigFactory) -> None:
    async with make_rig(feedback_counter_limit="2/minute") as rig, rig.client() as c:
        one, two = await token(rig, "1"), await token(rig, "2")
        codes = [(await post(c, {"token": one, "score": n})).status_code for n in (1, 2, 3)]
        assert codes == [201, 201, 429]
        assert (await post(c, {"token": two, "score": 3})).status_code == 201
        # refused posts (bad fields) do not use up the counter's allowance
        assert (await post(c, {"token": two, "score": 99})).status_code == 422
        assert (await post(c, {"token": two, "score": 4})).status_code == 201
        assert await count(rig, "feedback_comments") == 4


async def test_a_double_tap_stores_one_comment_even_when_both_posts_race(rig: Rig) -> None:
    """Ten posts of one form at once (same nonce): one comment, one rating, one case."""
    body = {
        "token": await token(rig),
        "score": 2,
        "comment": "ช้ามาก",
        "complaint": True,
        "category": "delay",
        "nonce": "double-tap-0001",
    }
    async with rig.client() as c:
        answers = await asyncio.gather(*(post(c, body) for _ in range(10)))
    assert sorted(r.status_code for r in answers) == [200] * 9 + [201]
    assert len({r.json()["reference"] for r in answers}) == 1
    assert await count(rig, "feedback_comments") == 1
    assert await count(rig, "cases") == 1
    assert await rig.driver.fetchval("SELECT sum(n) FROM rating_rollups") == 1
