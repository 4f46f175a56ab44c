"""The durable forwarding queue (``case_outbox``): claim due rows, record answers, dead-letter.

A row is ``pending`` until the centre answered that it has the case (``delivered``), or until
``CF_CASES_MAX_ATTEMPTS`` attempts failed (``dead``: listed for ops, who can retry it). A worker
claims a row with a compare-and-set on ``lease_until_ms``; a worker killed mid-delivery leaves
the row pending, and it is claimed again when its lease ends and sent with the same idempotency
key. Nothing is marked delivered before the centre's answer, so a crash can cause a repeat (which
the centre answers idempotently) but never a loss.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from collector.cases.backoff import delay_s
from collector.cases.lifecycle import advance
from collector.cases.settings import CaseSettings
from collector.storage import Driver, Row


@dataclass(frozen=True, slots=True)
class Claimed:
    case_id: str
    idempotency_key: str
    attempts: int


async def claim(driver: Driver, *, now_ms: int, lease_ms: int, limit: int) -> list[Claimed]:
    """Lease up to ``limit`` due pending rows for this worker."""
    rows = await driver.fetch(
        "SELECT case_id, idempotency_key, attempts FROM case_outbox "
        "WHERE status = 'pending' AND next_try_ms <= ? AND lease_until_ms <= ? "
        "ORDER BY next_try_ms, case_id LIMIT ?",
        now_ms,
        now_ms,
        limit,
    )
    claimed: list[Claimed] = []
    if not rows:
        return claimed
    async with driver.transaction() as tx:
        for row in rows:
            won = await tx.execute(
                "UPDATE case_outbox SET lease_until_ms = ? "
                "WHERE case_id = ? AND status = 'pending' AND lease_until_ms <= ?",
                now_ms + lease_ms,
                row["case_id"],
                now_ms,
            )
            if won == 1:
                claimed.append(
                    Claimed(str(row["case_id"]), str(row["idempotency_key"]), int(row["attempts"]))
                )
    return claimed


async def mark_delivered(
    driver: Driver, case_id: str, *, transport: str, centre_ref: str | None, now_ms: int
) -> None:
    """The centre has the case: the row is done and the case is (at least) forwarded."""
    async with driver.transaction() as tx:
        await tx.execute(
            "UPDATE case_outbox SET status = 'delivered', delivered_ms = ?, transport = ?, "
            "lease_until_ms = 0, last_error = '' WHERE case_id = ? AND status <> 'delivered'",
            now_ms,
            transport,
            case_id,
        )
        row = await tx.fetchrow("SELECT state FROM cases WHERE case_id = ?", case_id)
        if row is not None and row["state"] == "received":
            await advance(tx, case_id, "forwarded", now_ms, note=transport)
        if centre_ref:
            await tx.execute(
                "UPDATE cases SET centre_ref = coalesce(centre_ref, ?) WHERE case_id = ?",
                centre_ref,
                case_id,
            )


async def mark_failed(
    driver: Driver,
    claimed: Claimed,
    *,
    reason: str,
    retry_after_s: float | None,
    settings: CaseSettings,
    now_ms: int,
    rand: random.Random | None = None,
) -> bool:
    """Record a failed attempt; returns True when the row was dead-lettered."""
    attempts = claimed.attempts + 1
    dead = attempts >= settings.cases_max_attempts
    wait = delay_s(
        attempts,
        base_s=settings.cases_backoff_base_s,
        cap_s=settings.cases_backoff_max_s,
        retry_after_s=retry_after_s,
        rand=rand,
    )
    async with driver.transaction() as tx:
        await tx.execute(
            "UPDATE case_outbox SET attempts = ?, last_error = ?, lease_until_ms = 0, "
            "next_try_ms = ?, status = ?, dead_ms = ? WHERE case_id = ? AND status = 'pending'",
            attempts,
            reason[:200],
            now_ms + int(wait * 1000),
            "dead" if dead else "pending",
            now_ms if dead else None,
            claimed.case_id,
        )
    return dead


async def retry_dead(driver: Driver, case_id: str, *, now_ms: int) -> bool:
    """Ops: put a dead-lettered case back in the queue (attempts reset); False if not dead."""
    async with driver.transaction() as tx:
        changed: int = await tx.execute(
            "UPDATE case_outbox SET status = 'pending', attempts = 0, next_try_ms = ?, "
            "lease_until_ms = 0, dead_ms = NULL WHERE case_id = ? AND status = 'dead'",
            now_ms,
            case_id,
        )
    return changed == 1


async def listing(driver: Driver, *, status: str, limit: int, offset: int) -> list[Row]:
    return await driver.fetch(
        "SELECT o.case_id, c.office_id, c.category, c.state, o.status, o.attempts, "
        "o.next_try_ms, o.last_error, o.created_ms, o.delivered_ms, o.dead_ms, o.transport "
        "FROM case_outbox o JOIN cases c ON c.case_id = o.case_id WHERE o.status = ? "
        "ORDER BY o.created_ms, o.case_id LIMIT ? OFFSET ?",
        status,
        limit,
        offset,
    )


async def counts(driver: Driver) -> dict[str, Any]:
    rows = await driver.fetch("SELECT status, count(*) AS n FROM case_outbox GROUP BY status")
    out = {"pending": 0, "delivered": 0, "dead": 0}
    out.update({str(r["status"]): int(r["n"]) for r in rows})
    return out
