"""open_case / case_timeline: the case, its first step, its sealed contact and its outbox row are
written in the caller's transaction, and vanish together when it rolls back."""

from __future__ import annotations

import pytest

from collector.cases import CaseContact, CaseStep, case_timeline, open_case
from collector.storage import Driver

NOW = 1_780_000_000_000


async def _open(driver: Driver, comment_id: str, contact: CaseContact | None = None) -> str:
    async with driver.transaction() as tx:
        return await open_case(
            tx,
            comment_id=comment_id,
            office_id="OFF-BKK-01",
            counter_label="3",
            category="delay",
            text="รอคิวนานเกินสองชั่วโมง",
            window_start_ms=NOW - 600_000,
            window_end_ms=NOW,
            contact=contact,
            now_ms=NOW,
        )


async def test_open_case_writes_case_step_and_outbox(driver: Driver) -> None:
    case_id = await _open(driver, "cm-1", CaseContact("phone", "0812345678"))
    case = await driver.fetchrow("SELECT * FROM cases WHERE case_id = ?", case_id)
    assert case is not None
    assert case["state"] == "received"
    assert case["has_contact"] == 1
    outbox = await driver.fetchrow("SELECT * FROM case_outbox WHERE case_id = ?", case_id)
    assert outbox is not None
    assert outbox["status"] == "pending"
    assert outbox["idempotency_key"] == case_id
    assert await case_timeline(driver, "cm-1") == [CaseStep("received", NOW)]
    sealed = await driver.fetchrow("SELECT sealed FROM case_contacts WHERE case_id = ?", case_id)
    assert sealed is not None
    assert b"0812345678" not in bytes(sealed["sealed"])


async def test_same_comment_returns_same_case(driver: Driver) -> None:
    first = await _open(driver, "cm-2")
    assert await _open(driver, "cm-2") == first
    assert await driver.fetchval("SELECT count(*) FROM case_outbox") == 1


async def test_rollback_leaves_nothing(driver: Driver) -> None:
    class BoomError(Exception):
        pass

    with pytest.raises(BoomError):  # noqa: PT012 - the rollback is the subject
        async with driver.transaction() as tx:
            await open_case(
                tx,
                comment_id="cm-3",
                office_id="OFF-BKK-01",
                counter_label="1",
                category="other",
                text="x",
                window_start_ms=NOW,
                window_end_ms=NOW,
                contact=CaseContact("email", "somchai@example.invalid"),
                now_ms=NOW,
            )
            raise BoomError
    for table in ("cases", "case_steps", "case_contacts", "case_outbox"):
        assert await driver.fetchval(f"SELECT count(*) FROM {table}") == 0  # noqa: S608


async def test_bad_category_refused(driver: Driver) -> None:
    with pytest.raises(ValueError, match="category"):
        async with driver.transaction() as tx:
            await open_case(
                tx,
                comment_id="cm-4",
                office_id="OFF-BKK-01",
                counter_label="1",
                category="weather",
                text="x",
                window_start_ms=NOW,
                window_end_ms=NOW,
                contact=None,
                now_ms=NOW,
            )
    assert await case_timeline(driver, "cm-4") == []
