"""Delivering fired alerts: email (aiosmtplib, through the accounts' mailer) and a signed webhook.

Webhook: ``POST`` of a JSON document with ``X-CF-Timestamp`` (unix seconds) and
``X-CF-Signature: sha256=<hex>``, the HMAC-SHA256 with the office's secret of
``<timestamp>.<body bytes>``; a receiver recomputes it and refuses an old timestamp. An answer
other than 2xx, a timeout or a refused connection counts as a failure. Each failed channel is
retried on the next round until ``alert_max_attempts``, then ``gave_up``; a channel that went
through is never sent again. Rounds claim an alert by compare-and-set on ``attempts``, so two
collector processes never both send it. Counts below k are left out of messages (k-anonymity).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from collector.accounts.mailer import Mailer, MailError
from collector.analytics.filters import BANGKOK
from collector.storage import Driver, Row

_LOGGER = logging.getLogger(__name__)
RETRY_STATES = ("pending", "failed")


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def alert_document(alert: Row, office: Row | None, k: int, public_url: str) -> dict[str, Any]:
    """What an alert says; the counts only when there are at least k ratings."""
    shown = int(alert["ratings"]) >= k
    return {
        "alert_id": alert["alert_id"],
        "office_id": alert["office_id"],
        "office_name_th": office["name_th"] if office else None,
        "office_name_en": office["name_en"] if office else None,
        "fired": datetime.fromtimestamp(alert["fired_ms"] / 1000, UTC).isoformat(),
        "window_start": datetime.fromtimestamp(alert["window_start_ms"] / 1000, UTC).isoformat(),
        "ratings": int(alert["ratings"]) if shown else None,
        "negative": int(alert["negative"]) if shown else None,
        "suppressed": not shown,
        "link": f"{public_url}/analytics?office_id={alert['office_id']}",
    }


def email_text(doc: dict[str, Any]) -> tuple[str, str]:
    local = datetime.fromisoformat(doc["fired"]).astimezone(BANGKOK).strftime("%Y-%m-%d %H:%M")
    counts_th = (
        f"{doc['negative']} จาก {doc['ratings']} ความเห็นเป็นเชิงลบ"
        if not doc["suppressed"]
        else "จำนวนน้อยกว่าเกณฑ์ความเป็นส่วนตัว จึงไม่แสดงตัวเลข"
    )
    counts_en = (
        f"{doc['negative']} of {doc['ratings']} ratings were negative"
        if not doc["suppressed"]
        else "too few ratings to show the numbers (privacy threshold)"
    )
    subject = f"แจ้งเตือนความพึงพอใจต่ำ / Low satisfaction: {doc['office_name_th'] or doc['office_id']}"
    body = (
        f"สำนักงาน {doc['office_name_th'] or doc['office_id']} เมื่อ {local} น.: {counts_th}\n"
        f"ดูรายละเอียด: {doc['link']}\n\n"
        f"Office {doc['office_name_en'] or doc['office_id']} at {local} (Thai time): {counts_en}.\n"
        f"Details: {doc['link']}\n"
    )
    return subject, body


async def _execute(driver: Driver, sql: str, *args: Any) -> int:
    async with driver.transaction() as tx:
        changed: int = await tx.execute(sql, *args)
    return changed


async def _claim(driver: Driver, alert: Row) -> bool:
    changed = await _execute(
        driver,
        "UPDATE office_alerts SET attempts = attempts + 1 WHERE alert_id = ? AND attempts = ?",
        alert["alert_id"],
        alert["attempts"],
    )
    return changed == 1


async def deliver_pending(
    driver: Driver,
    mailer: Mailer,
    http: httpx.AsyncClient,
    *,
    k: int,
    public_url: str,
    max_attempts: int,
) -> int:
    """One round: try every alert with a channel still to deliver; returns channels sent."""
    rows = await driver.fetch(
        "SELECT a.*, s.email, s.webhook_url, s.webhook_secret FROM office_alerts a "
        "JOIN office_alert_settings s ON s.office_id = a.office_id "
        "WHERE a.email_state IN ('pending', 'failed') OR a.webhook_state IN ('pending', 'failed') "
        "ORDER BY a.fired_ms"
    )
    sent = 0
    for alert in rows:
        if not await _claim(driver, alert):
            continue
        office = await driver.fetchrow(
            "SELECT name_th, name_en FROM offices WHERE office_id = ?", alert["office_id"]
        )
        doc = alert_document(alert, office, k, public_url)
        states = {"email_state": alert["email_state"], "webhook_state": alert["webhook_state"]}
        errors: list[str] = []
        last_try = int(alert["attempts"]) + 1 >= max_attempts
        if states["email_state"] in RETRY_STATES:
            error = await _email(mailer, alert["email"], doc)
            states["email_state"] = _state(error, last_try)
            errors += [f"email: {error}"] if error else []
        if states["webhook_state"] in RETRY_STATES:
            error = await _webhook(http, alert["webhook_url"], alert["webhook_secret"], doc)
            states["webhook_state"] = _state(error, last_try)
            errors += [f"webhook: {error}"] if error else []
        sent += sum(1 for v in states.values() if v == "sent") - sum(
            1 for key in states if alert[key] == "sent"
        )
        await _execute(
            driver,
            "UPDATE office_alerts SET email_state = ?, webhook_state = ?, last_error = ? "
            "WHERE alert_id = ?",
            states["email_state"],
            states["webhook_state"],
            "; ".join(errors)[:500],
            alert["alert_id"],
        )
        _LOGGER.info(
            "office alert delivery: alert=%s office=%s email=%s webhook=%s",
            alert["alert_id"],
            alert["office_id"],
            states["email_state"],
            states["webhook_state"],
        )
    return sent


def _state(error: str | None, last_try: bool) -> str:
    if error is None:
        return "sent"
    return "gave_up" if last_try else "failed"


async def _email(mailer: Mailer, to: str, doc: dict[str, Any]) -> str | None:
    subject, body = email_text(doc)
    try:
        await mailer.send(to, subject, body)
    except MailError as exc:
        return str(exc)
    return None


async def _webhook(
    http: httpx.AsyncClient, url: str, secret: str, doc: dict[str, Any]
) -> str | None:
    body = json.dumps(doc, ensure_ascii=False, sort_keys=True).encode()
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-CF-Timestamp": stamp,
        "X-CF-Signature": signature(secret, stamp, body),
    }
    try:
        answer = await http.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:200]
    if not answer.is_success:
        return f"HTTP {answer.status_code}"
    return None
