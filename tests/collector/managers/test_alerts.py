"""Threshold alerts per office: the rule, the quiet period, delivery by email (a real aiosmtpd
server) and by an HMAC-signed webhook (a real local HTTP server), failing outside services,
and the background task in the collector process."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest

from collector.managers.alert_delivery import deliver_pending
from collector.managers.alert_rule import fire_due
from collector.records import EventRow, IngestBatch
from collector.registry import DeviceIn
from collector.registry_writes import upsert_device
from collector.storage.ingest_store import write_batch
from tests.collector.accounts.rig import Rig, csrf_of, running_rig
from tests.collector.managers.data import THAI, Seqs, event
from tests.fixtures.ports import free_port
from tests.fixtures.smtp import SmtpSink
from tests.fixtures.webhook import WebhookSink

A, B = "cm-mueang-chiang-mai-dopa", "cm-chom-thong-dopa"
K = 5
MINUTE = 60_000
SECRET = "s3cret-for-the-webhook-0123456789"
NOW = int(time.time() * 1000)


@pytest.fixture
def slow_task(monkeypatch: pytest.MonkeyPatch) -> None:
    """The background task's rounds far apart: these tests run the rounds themselves."""
    monkeypatch.setenv("CF_ALERT_CHECK_INTERVAL_S", "3600")
    monkeypatch.setenv("CF_ALERT_MAX_ATTEMPTS", "3")


async def _office_rig(rig: Rig) -> Rig:
    await rig.office("office-a", A)
    await rig.office("office-b", B)
    await upsert_device(rig.driver, DeviceIn(device_id="dev-a", office_id="office-a"))
    await upsert_device(rig.driver, DeviceIn(device_id="dev-b", office_id="office-b"))
    return rig


@pytest.fixture
async def rig(db_url: str, smtp_server: SmtpSink, slow_task: None) -> AsyncIterator[Rig]:
    async with running_rig(db_url, smtp_server, k_anonymity=K) as r:
        yield await _office_rig(r)


def _ratings(seqs: Seqs, device: str, at: int, scores: list[int]) -> list[EventRow]:
    """Ratings on a 5-point scale one minute apart, the last at ``at``."""
    return [
        event(seqs, device, "rating", at - (len(scores) - 1 - i) * MINUTE, score=s, scale=5,
              verified=0)
        for i, s in enumerate(scores)
    ]  # fmt: skip


def _crosses(scores: list[int], min_ratings: int, share: float) -> bool:
    """The rule, written out independently: negative = 1 or 2 of 5."""
    negative = sum(1 for s in scores if s <= 2)
    return len(scores) >= min_ratings and negative / len(scores) >= share


async def _settings(rig: Rig, office: str, body: dict[str, object]) -> httpx.Response:
    async with rig.client() as c:
        return await c.put(f"/api/v1/offices/{office}/alert-settings", json=body, headers=rig.ops)


async def _deliver(rig: Rig, max_attempts: int = 3) -> int:
    ctx = rig.app.state.accounts
    async with httpx.AsyncClient(timeout=5) as http:
        return await deliver_pending(
            rig.driver, ctx.mailer, http, k=K, public_url=ctx.settings.public_url,
            max_attempts=max_attempts,
        )  # fmt: skip


def _around_now() -> str:
    """A report period holding NOW and the hours after it (Thai dates)."""
    day = datetime.fromtimestamp(NOW / 1000, THAI).date()
    return f"from={day - timedelta(days=1)}&to={day + timedelta(days=1)}"


async def _alerts(rig: Rig) -> list[dict[str, object]]:
    rows = await rig.driver.fetch("SELECT * FROM office_alerts ORDER BY fired_ms")
    return [dict(r) for r in rows]


async def test_rule_delivery_and_quiet_period(
    rig: Rig, smtp_server: SmtpSink, webhook_server: WebhookSink
) -> None:
    body = {
        "min_ratings": 4,
        "window_minutes": 15,
        "negative_share": 0.5,
        "quiet_minutes": 60,
        "email": "duty@example.go.th",
        "webhook_url": webhook_server.url,
        "webhook_secret": SECRET,
    }
    async with rig.person("admin-a@example.go.th", "agency_admin", A) as admin:  # A's own admin
        csrf = {"X-CSRF-Token": csrf_of((await admin.get("/account")).text)}
        r = await admin.put("/api/v1/offices/office-a/alert-settings", json=body, headers=csrf)
    assert r.status_code == 200, r.text
    assert r.json()["webhook_secret_set"] is True
    assert "webhook_secret" not in r.json()
    r = await _settings(rig, "office-a", {**body, "webhook_secret": None})
    assert r.status_code == 422
    assert r.json()["field"] == "webhook_secret"

    seqs = Seqs()
    crossing = [5, 1, 2, 1]  # 4 ratings, 3 negative: 75 %
    quiet_b = [1, 1, 1]  # office-b: no settings at all
    assert _crosses(crossing, 4, 0.5)
    events = _ratings(seqs, "dev-a", NOW, crossing) + _ratings(seqs, "dev-b", NOW, quiet_b)
    events.append(event(seqs, "dev-a", "rating", NOW - 20 * MINUTE, score=5, scale=5, verified=0))
    await write_batch(rig.driver, IngestBatch(events=events))  # (the last one is out of window)

    fired = await fire_due(rig.driver, NOW)
    assert [(f.office_id, f.ratings, f.negative) for f in fired] == [("office-a", 4, 3)]
    assert await _deliver(rig) == 2
    (mail,) = smtp_server.to("duty@example.go.th")
    text = smtp_server.body(mail)
    assert "สำนักงาน" in text
    assert "/analytics?office_id=office-a" in text
    assert "ไม่แสดงตัวเลข" in text  # 4 ratings < k: no counts in the message
    assert "3 จาก 4" not in text
    assert "3 of 4" not in text
    (hook,) = webhook_server.received
    stamp = hook.headers["X-CF-Timestamp"]
    want = hmac.new(SECRET.encode(), stamp.encode() + b"." + hook.body, hashlib.sha256)
    assert hook.headers["X-CF-Signature"] == "sha256=" + want.hexdigest()
    doc = json.loads(hook.body)
    assert doc["office_id"] == "office-a"
    assert doc["suppressed"] is True
    assert doc["ratings"] is None
    assert await _deliver(rig) == 0  # nothing sent twice
    assert len(webhook_server.received) == 1

    # Inside the quiet period a new crossing fires nothing; after it, it fires again.
    more = _ratings(seqs, "dev-a", NOW + 30 * MINUTE, [1, 1, 1, 1, 2, 5])
    await write_batch(rig.driver, IngestBatch(events=more))
    assert await fire_due(rig.driver, NOW + 30 * MINUTE) == []
    later = _ratings(seqs, "dev-a", NOW + 61 * MINUTE, [1, 2, 1, 1, 1, 4])
    await write_batch(rig.driver, IngestBatch(events=later))
    (again,) = await fire_due(rig.driver, NOW + 61 * MINUTE)
    assert (again.ratings, again.negative) == (6, 5)  # 6 >= k: counts shown
    assert await _deliver(rig) == 2
    assert json.loads(webhook_server.received[-1].body)["ratings"] == 6

    # The page lists them; B's manager cannot see A's alerts.
    async with rig.client() as c:
        r = await c.get(
            f"/api/v1/analytics/alerts?office_id=office-a&{_around_now()}", headers=rig.ops
        )
        items = r.json()["items"]
        assert [(i["ratings"], i["suppressed"]) for i in items] == [(6, False), (None, True)]
        assert {i["email"] for i in items} == {"sent"}
    async with rig.person("mb@example.go.th", "manager", B, ["office-b"]) as mb:
        assert (await mb.get("/api/v1/analytics/alerts?office_id=office-a")).status_code == 404
        assert (await mb.get(f"/api/v1/analytics/alerts?{_around_now()}")).json()["items"] == []
        assert (await mb.get("/api/v1/offices/office-a/alert-settings")).status_code == 404


async def test_failing_outside_services(
    db_url: str, smtp_server: SmtpSink, webhook_server: WebhookSink, slow_task: None
) -> None:
    dead_port = free_port()  # nothing listens: the mail server is down
    async with running_rig(db_url, smtp_server, k_anonymity=K, smtp_port=dead_port) as r:
        rig = await _office_rig(r)
        body = {
            "email": "duty@example.go.th",
            "webhook_url": webhook_server.url,
            "webhook_secret": SECRET,
        }
        assert (await _settings(rig, "office-a", body)).status_code == 200
        webhook_server.status = 503
        events = _ratings(Seqs(), "dev-a", NOW, [1, 1, 1, 2])
        await write_batch(rig.driver, IngestBatch(events=events))
        assert len(await fire_due(rig.driver, NOW)) == 1

        assert await _deliver(rig) == 0
        (alert,) = await _alerts(rig)
        assert (alert["email_state"], alert["webhook_state"]) == ("failed", "failed")
        assert "smtp" in str(alert["last_error"])
        assert "HTTP 503" in str(alert["last_error"])

        webhook_server.status = 200  # the receiver is back: the webhook goes, once
        assert await _deliver(rig) == 1
        (alert,) = await _alerts(rig)
        assert (alert["email_state"], alert["webhook_state"]) == ("failed", "sent")
        assert await _deliver(rig) == 0  # third attempt: the mail server is still down
        (alert,) = await _alerts(rig)
        assert alert["email_state"] == "gave_up"
        assert alert["attempts"] == 3
        assert len(webhook_server.received) == 2  # the 503 and the success, nothing more
        assert await _deliver(rig) == 0
        assert len(webhook_server.received) == 2


async def test_the_background_task_fires_and_delivers(
    db_url: str,
    smtp_server: SmtpSink,
    webhook_server: WebhookSink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CF_ALERT_CHECK_INTERVAL_S", "0.2")
    async with running_rig(db_url, smtp_server, k_anonymity=K) as r:
        rig = await _office_rig(r)
        body = {"email": "duty@example.go.th"}
        assert (await _settings(rig, "office-a", body)).status_code == 200
        now = int(time.time() * 1000)
        await write_batch(rig.driver, IngestBatch(events=_ratings(Seqs(), "dev-a", now, [1] * 5)))
        for _ in range(100):  # waits for the task's rounds (at most ~20 s), asserts no time
            if smtp_server.to("duty@example.go.th"):
                break
            await asyncio.sleep(0.2)
        (mail,) = smtp_server.to("duty@example.go.th")
        assert "5 จาก 5" in smtp_server.body(mail)  # 5 >= k: counts shown
        assert rig.app.state.alert_task.rounds >= 1
