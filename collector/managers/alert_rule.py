"""Threshold alerts: which offices cross their rule now, outside their quiet period.

A rule is crossed when the office's button ratings in the last ``window_s`` (by the event's
``ts``, office stamped at ingest) number at least ``min_ratings`` and the negative ones
(``2·score < scale + 1``, see ``breakdown.is_negative``) are at least ``negative_share`` of them.
A crossing inside ``quiet_s`` of the office's last alert fires nothing. Several collector
processes: on PostgreSQL a transaction-scoped advisory lock lets one of them check at a time.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from collector.storage import Driver, Row, Tx

_LOCK = 4242009


@dataclass(frozen=True)
class Fired:
    alert_id: str
    office_id: str
    fired_ms: int
    window_start_ms: int
    ratings: int
    negative: int


def crosses(ratings: int, negative: int, min_ratings: int, negative_share: float) -> bool:
    return ratings >= min_ratings and ratings > 0 and negative / ratings >= negative_share


async def fire_due(driver: Driver, now_ms: int) -> list[Fired]:
    """Record (and return) the alerts due at ``now_ms``; delivery states start ``pending`` for
    each channel the office configured, ``none`` otherwise."""
    fired: list[Fired] = []
    async with driver.transaction() as tx:
        if driver.dialect == "postgres":
            got = await tx.fetchrow("SELECT pg_try_advisory_xact_lock(?) AS ok", _LOCK)
            if got is None or not got["ok"]:
                return []
        rules = await tx.fetch("SELECT * FROM office_alert_settings WHERE enabled = 1")
        for rule in rules:
            found = await _window(tx, rule, now_ms)
            if found is None:
                continue
            ratings, negative, start = found
            last = await tx.fetchrow(
                "SELECT max(fired_ms) AS at FROM office_alerts WHERE office_id = ?",
                rule["office_id"],
            )
            at = last["at"] if last is not None else None
            if at is not None and now_ms - int(at) < int(rule["quiet_s"]) * 1000:
                continue
            alert = Fired(secrets.token_hex(8), rule["office_id"], now_ms, start, ratings, negative)
            await tx.execute(
                "INSERT INTO office_alerts (alert_id, office_id, fired_ms, window_start_ms, "
                "ratings, negative, email_state, webhook_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                alert.alert_id,
                alert.office_id,
                alert.fired_ms,
                alert.window_start_ms,
                ratings,
                negative,
                "pending" if rule["email"] else "none",
                "pending" if rule["webhook_url"] else "none",
            )
            fired.append(alert)
    return fired


async def _window(tx: Tx, rule: Row, now_ms: int) -> tuple[int, int, int] | None:
    start = now_ms - int(rule["window_s"]) * 1000
    row = await tx.fetchrow(
        "SELECT count(*) AS n, "
        "sum(CASE WHEN 2 * score < scale + 1 THEN 1 ELSE 0 END) AS negative FROM events "
        "WHERE type = 'rating' AND score IS NOT NULL AND office_id = ? "
        "AND ts_ms >= ? AND ts_ms <= ?",
        rule["office_id"],
        start,
        now_ms,
    )
    if row is None:
        return None
    n, negative = int(row["n"] or 0), int(row["negative"] or 0)
    if not crosses(n, negative, int(rule["min_ratings"]), float(rule["negative_share"])):
        return None
    return n, negative, start
