"""Contacts at rest: sealed (AES-GCM, bound to the case), key rotation, purge after retention."""

from __future__ import annotations

import asyncio

import pytest

from collector.cases import CaseContact
from collector.cases.forwarder import CaseForwarder
from collector.cases.lifecycle import advance
from collector.cases.purge import purge_contacts
from collector.cases.sealing import ContactSealer, ContactSealError
from collector.cases.settings import CaseSettings, parse_keys
from collector.storage import Driver
from tests.collector.cases.helpers import T0, Clock, open_cases

DAY = 86_400_000
PHONE = "0812345678"


def test_seal_is_bound_to_the_case_and_key() -> None:
    sealer = ContactSealer({"k1": bytes(32)})
    key_id, blob = sealer.seal("case-a", CaseContact("phone", PHONE))
    assert PHONE.encode() not in blob
    assert sealer.open("case-a", key_id, blob) == CaseContact("phone", PHONE)
    with pytest.raises(ContactSealError):
        sealer.open("case-b", key_id, blob)  # copied onto another case
    with pytest.raises(ContactSealError):
        sealer.open("case-a", key_id, blob[:-1] + bytes([blob[-1] ^ 1]))
    rotated = ContactSealer({"k2": bytes([7]) * 32, "k1": bytes(32)})
    assert rotated.open("case-a", key_id, blob).value == PHONE  # old key still opens
    assert rotated.seal("case-a", CaseContact("phone", PHONE))[0] == "k2"
    assert "0812" not in repr(CaseContact("phone", PHONE))


def test_key_setting_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        parse_keys("k1:AAAA")
    with pytest.raises(ValueError, match="key-id:base64"):
        parse_keys("no-colon")
    with pytest.raises(ValueError, match="base64"):
        CaseSettings(cases_contact_keys="k1:***")


async def test_purged_after_close_plus_retention(driver: Driver) -> None:
    closed_long_ago, closed_recently, still_open = await open_cases(
        driver, 3, contact=CaseContact("phone", PHONE)
    )
    async with driver.transaction() as tx:
        await advance(tx, closed_long_ago, "closed", T0 + DAY, outcome="resolved")
        await advance(tx, closed_recently, "closed", T0 + 25 * DAY, outcome="resolved")
    now = T0 + 32 * DAY
    assert await purge_contacts(driver, now_ms=now, retention_days=30) == 1
    left = {r["case_id"] for r in await driver.fetch("SELECT case_id FROM case_contacts")}
    assert left == {closed_recently, still_open}
    row = await driver.fetchrow(
        "SELECT contact_purged_ms, state FROM cases WHERE case_id = ?", closed_long_ago
    )
    assert row == {"contact_purged_ms": now, "state": "closed"}
    assert await purge_contacts(driver, now_ms=now, retention_days=30) == 0
    assert await purge_contacts(driver, now_ms=T0 + 56 * DAY, retention_days=30) == 1


async def test_forwarder_task_runs_the_purge(driver: Driver, contact_key: ContactSealer) -> None:
    """The periodic task (no transport configured: cases wait, the purge still runs)."""
    [case_id] = await open_cases(
        driver, 1, contact=CaseContact("email", "mana.test@example.invalid")
    )
    async with driver.transaction() as tx:
        await advance(tx, case_id, "closed", T0, outcome="resolved")
    clock = Clock(T0 + 31 * DAY)
    settings = CaseSettings(cases_contact_retention_days=30)
    forwarder = CaseForwarder(driver, settings, contact_key, transport=None, clock=clock)
    assert await forwarder.tick() == 0  # no transport: held in the outbox
    forwarder.start()  # the task's first pass purges
    try:
        for _ in range(200):
            if await driver.fetchval("SELECT count(*) FROM case_contacts") == 0:
                break
            await asyncio.sleep(0.05)
    finally:
        await forwarder.stop()
    assert await driver.fetchval("SELECT count(*) FROM case_contacts") == 0
    assert await driver.fetchval("SELECT count(*) FROM case_outbox") == 1
    assert await forwarder.maybe_purge() == 0  # not again within the hour
