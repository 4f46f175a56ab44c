"""Retention: a closed case's sealed contact is deleted ``CF_CASES_CONTACT_RETENTION_DAYS`` after
it closed (the case and its steps stay; ``contact_purged_ms`` says when the contact went), and
applied callback signatures are forgotten once outside the replay window."""

from __future__ import annotations

from collector.storage import Driver


async def purge_contacts(driver: Driver, *, now_ms: int, retention_days: float) -> int:
    """Delete the contacts of cases closed before ``now - retention``; return how many."""
    cutoff = now_ms - int(retention_days * 86_400_000)
    async with driver.transaction() as tx:
        rows = await tx.fetch(
            "SELECT k.case_id FROM case_contacts k JOIN cases c ON c.case_id = k.case_id "
            "WHERE c.state = 'closed' AND c.closed_ms <= ?",
            cutoff,
        )
        for row in rows:
            await tx.execute("DELETE FROM case_contacts WHERE case_id = ?", row["case_id"])
            await tx.execute(
                "UPDATE cases SET contact_purged_ms = ? WHERE case_id = ?", now_ms, row["case_id"]
            )
    return len(rows)


async def forget_callbacks(driver: Driver, *, now_ms: int, window_s: float) -> int:
    """Drop replay records older than twice the window (such a callback is refused as stale)."""
    async with driver.transaction() as tx:
        changed: int = await tx.execute(
            "DELETE FROM case_callbacks WHERE received_ms < ?", now_ms - int(2 * window_s * 1000)
        )
    return changed
