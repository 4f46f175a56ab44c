"""The centre's signed callback and ops' outbox routes, through the app (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from collector.api.app import create_app
from collector.cases import case_timeline
from collector.cases.outbox import Claimed, mark_failed
from collector.cases.settings import CaseSettings
from collector.runtime import Collector
from collector.storage import Driver
from collector.tokens import Role, create_token
from tests.collector.cases.conftest import CONTACT_KEYS
from tests.collector.cases.helpers import open_cases
from tests.collector.conftest import make_settings

SECRET = "callback-test-secret-abcdef"
URL = "/api/v1/cases/callback"


def _sign(body: bytes, *, ts: int | None = None, secret: str = SECRET) -> dict[str, str]:
    # Written out again here (not imported) so a change of the scheme breaks this test.
    import hashlib  # noqa: PLC0415
    import hmac  # noqa: PLC0415

    stamp = int(time.time()) if ts is None else ts
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {
        "X-CF-Timestamp": str(stamp),
        "X-CF-Signature": f"sha256={mac}",
        "Content-Type": "application/json",
    }


@dataclass
class Api:
    client: httpx.AsyncClient
    driver: Driver
    ops: dict[str, str]
    viewer: dict[str, str]


@pytest.fixture
async def api(db_url: str, monkeypatch: pytest.MonkeyPatch, driver: Driver) -> AsyncIterator[Api]:
    monkeypatch.setenv("CF_CASES_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("CF_CASES_CONTACT_KEYS", CONTACT_KEYS)
    app = create_app(make_settings(db_url), ingest=False)
    async with app.router.lifespan_context(app):
        collector: Collector = app.state.collector
        ops = await create_token(collector.driver, Role.OPS, "ops")
        viewer = await create_token(collector.driver, Role.VIEWER, "viewer")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://collector") as client:
            yield Api(
                client,
                collector.driver,
                {"Authorization": f"Bearer {ops}"},
                {"Authorization": f"Bearer {viewer}"},
            )


async def _post(api: Api, body: dict[str, object], **kw: object) -> httpx.Response:
    raw = json.dumps(body).encode()
    return await api.client.post(URL, content=raw, headers=_sign(raw, **kw))  # type: ignore[arg-type]


async def test_accepted_then_closed(api: Api) -> None:
    [case_id] = await open_cases(api.driver, 1)
    r = await _post(api, {"case_id": case_id, "status": "accepted", "reference": "1111-42"})
    assert r.status_code == 200, r.text
    assert r.json() == {"case_id": case_id, "state": "accepted", "changed": True}
    r = await _post(api, {"case_id": case_id, "status": "closed", "outcome": "ตักเตือนเจ้าหน้าที่แล้ว"})
    assert r.status_code == 200, r.text
    steps = await case_timeline(api.driver, "cm-0")
    # forwarded is filled in: the centre confirmed it has the case before our answer was stored
    assert [s.state for s in steps] == ["received", "forwarded", "accepted", "closed"]
    assert steps[2].centre_ref == "1111-42"
    assert steps[3].outcome == "ตักเตือนเจ้าหน้าที่แล้ว"
    case = await api.driver.fetchrow("SELECT * FROM cases WHERE case_id = ?", case_id)
    assert case is not None
    assert case["centre_ref"] == "1111-42"
    assert case["closed_ms"] is not None
    detail = (await api.client.get(f"/api/v1/cases/{case_id}", headers=api.ops)).json()
    assert detail["state"] == "closed"
    assert [s["state"] for s in detail["steps"]] == ["received", "forwarded", "accepted", "closed"]
    # the outbox needs no further attempt: the centre has it
    row = await api.driver.fetchrow("SELECT status FROM case_outbox WHERE case_id = ?", case_id)
    assert row == {"status": "delivered"}


async def test_replay_refused(api: Api) -> None:
    [case_id] = await open_cases(api.driver, 1)
    raw = json.dumps({"case_id": case_id, "status": "accepted", "reference": "R1"}).encode()
    headers = _sign(raw)
    assert (await api.client.post(URL, content=raw, headers=headers)).status_code == 200
    again = await api.client.post(URL, content=raw, headers=headers)
    assert again.status_code == 409
    assert again.json()["field"] == "X-CF-Signature"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda h: h.pop("X-CF-Signature"), "X-CF-Timestamp and X-CF-Signature headers"),
        (lambda h: h.update({"X-CF-Signature": "sha256=" + "0" * 64}), "X-CF-Signature"),
        (lambda h: h.update({"X-CF-Timestamp": "yesterday"}), "X-CF-Timestamp"),
    ],
)
async def test_bad_signature_refused(api: Api, mutate: object, field: str) -> None:
    [case_id] = await open_cases(api.driver, 1)
    raw = json.dumps({"case_id": case_id, "status": "accepted", "reference": "R"}).encode()
    headers = _sign(raw)
    mutate(headers)  # type: ignore[operator]
    r = await api.client.post(URL, content=raw, headers=headers)
    assert r.status_code == 403
    assert r.json()["error"].startswith(field)
    assert (await case_timeline(api.driver, "cm-0"))[-1].state == "received"


async def test_stale_and_wrong_secret_refused(api: Api) -> None:
    [case_id] = await open_cases(api.driver, 1)
    body = {"case_id": case_id, "status": "accepted", "reference": "R"}
    r = await _post(api, body, ts=int(time.time()) - 3600)
    assert r.status_code == 403
    assert "window" in r.json()["error"]
    r = await _post(api, body, secret="not-the-secret")
    assert r.status_code == 403
    tampered = json.dumps(body).encode()
    headers = _sign(tampered)
    r = await api.client.post(URL, content=tampered.replace(b"R", b"X"), headers=headers)
    assert r.status_code == 403


async def test_backwards_unknown_and_invalid(api: Api) -> None:
    [case_id] = await open_cases(api.driver, 1)
    assert (await _post(api, {"case_id": case_id, "status": "closed"})).status_code == 200
    back = await _post(api, {"case_id": case_id, "status": "accepted", "reference": "R"})
    assert back.status_code == 409
    missing = await _post(api, {"case_id": "no-such", "status": "closed"})
    assert missing.status_code == 404
    no_ref = await _post(api, {"case_id": case_id, "status": "accepted"})
    assert no_ref.status_code == 422
    assert no_ref.json()["field"] == "reference"
    wrong = await _post(api, {"case_id": case_id, "status": "lost"})
    assert wrong.status_code == 422
    assert wrong.json()["field"] == "status"


async def test_ops_sees_dead_letters_and_retries(api: Api) -> None:
    ids = await open_cases(api.driver, 2)
    settings = CaseSettings(cases_max_attempts=1)
    now = int(time.time() * 1000)
    await mark_failed(
        api.driver,
        Claimed(ids[0], ids[0], 0),
        reason="http 500",
        retry_after_s=None,
        settings=settings,
        now_ms=now,
    )
    listed = await api.client.get("/api/v1/cases/outbox?status=dead", headers=api.ops)
    assert listed.status_code == 200
    body = listed.json()
    assert [i["case_id"] for i in body["items"]] == [ids[0]]
    assert body["items"][0]["last_error"] == "http 500"
    assert body["counts"] == {"pending": 1, "delivered": 0, "dead": 1}
    assert (await api.client.get("/api/v1/cases/outbox", headers=api.viewer)).status_code == 403
    assert (await api.client.get("/api/v1/cases/outbox")).status_code == 401
    retry = await api.client.post(f"/api/v1/cases/outbox/{ids[0]}/retry", headers=api.ops)
    assert retry.status_code == 200
    row = await api.driver.fetchrow("SELECT * FROM case_outbox WHERE case_id = ?", ids[0])
    assert row is not None
    assert (row["status"], row["attempts"]) == ("pending", 0)
    again = await api.client.post(f"/api/v1/cases/outbox/{ids[0]}/retry", headers=api.ops)
    assert again.status_code == 404


async def test_openapi_documents_the_routes(api: Api) -> None:
    doc = (await api.client.get("/openapi.json")).json()
    callback = doc["paths"][URL]["post"]
    assert set(callback["responses"]) >= {"200", "403", "404", "409", "422"}
    assert "case_id" in json.dumps(callback["requestBody"])
    assert "/api/v1/cases/outbox" in doc["paths"]
    assert "/api/v1/cases/outbox/{case_id}/retry" in doc["paths"]
    assert "/api/v1/cases/{case_id}" in doc["paths"]
