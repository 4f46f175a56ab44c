"""Scope decisions of a principal by ``offices.agency_id`` (migration 9), and how an office's
free-text agency is resolved to it: on every registry write and by the migration's backfill."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from collector.accounts.principal import PersonRole, Principal, agency_subtree
from collector.registry import OfficeIn
from collector.registry_writes import upsert_office
from collector.storage import Driver, open_driver
from collector.storage.managers_schema import MANAGERS_MIGRATION
from collector.tokens import Role
from tests.collector.conftest import make_settings

TEXTS = {
    # The simulator's offices say "กรมการปกครอง (Department of Provincial Administration)".
    "o-th-en": ("กรมการปกครอง (Department of Provincial Administration)", "dopa"),
    "o-upper": ("DOPA", "dopa"),
    "o-unit": ("cm-mae-rim-dopa", "cm-mae-rim-dopa"),
    "o-moi": ("moi", "moi"),
    "o-none": ("", None),
    "o-unknown": ("สำนักงานที่ไม่มีในรายการ", None),
}


@pytest.fixture
async def driver(db_url: str) -> AsyncIterator[Driver]:
    d = await open_driver(make_settings(db_url))
    try:
        yield d
    finally:
        await d.close()


async def _agency_ids(driver: Driver) -> dict[str, str | None]:
    rows = await driver.fetch("SELECT office_id, agency_id FROM offices")
    return {r["office_id"]: r["agency_id"] for r in rows}


async def test_registry_writes_resolve_the_agency_text(driver: Driver) -> None:
    for office_id, (text, _) in TEXTS.items():
        await upsert_office(
            driver, OfficeIn(office_id=office_id, name_th="ก", name_en="A", agency=text)
        )
    assert await _agency_ids(driver) == {o: want for o, (_, want) in TEXTS.items()}
    # A change of the text moves the office (the next write resolves it again).
    await upsert_office(
        driver, OfficeIn(office_id="o-moi", name_th="ก", name_en="A", agency="ที่ว่าการอำเภอแม่ริม")
    )
    assert (await _agency_ids(driver))["o-moi"] == "cm-mae-rim-dopa"


async def test_the_backfill_resolves_older_offices(driver: Driver) -> None:
    for office_id, (text, _) in TEXTS.items():  # as written before migration 9: text only
        async with driver.transaction() as tx:
            await tx.execute(
                "INSERT INTO offices (office_id, name_th, name_en, agency, created_ms, updated_ms)"
                " VALUES (?, 'ก', 'A', ?, 0, 0)",
                office_id,
                text,
            )
    backfill = MANAGERS_MIGRATION[1]
    assert isinstance(backfill, str)
    assert backfill.startswith("UPDATE offices SET agency_id")
    async with driver.transaction() as tx:
        await tx.execute(backfill)
    assert await _agency_ids(driver) == {o: want for o, (_, want) in TEXTS.items()}


async def test_scope_by_agency_id_and_subtree(driver: Driver) -> None:
    dopa = await agency_subtree(driver, "dopa")
    district = await agency_subtree(driver, "cm-mae-rim-dopa")
    assert "cm-mae-rim-dopa" in dopa
    assert "moi" not in dopa
    admin = Principal("session", PersonRole.AGENCY_ADMIN, agencies=dopa)
    assert admin.sees_office("x", "dopa")
    assert admin.sees_office("x", "cm-mae-rim-dopa")  # a unit below
    assert not admin.sees_office("x", "moi")  # the ministry above is not in scope
    assert not admin.sees_office("x", None)  # an office of no known agency
    unit = Principal(
        role=PersonRole.MANAGER,
        kind="session",
        agencies=district,
        office_ids=frozenset({"cm-mae-rim-dol"}),
    )
    assert unit.sees_office("cm-mae-rim-dol", "cm-mae-rim-dopa")
    assert not unit.sees_office("cm-mae-taeng-dol", "cm-mae-rim-dopa")  # not assigned
    assert not unit.sees_office("cm-mae-rim-dol", "dopa")  # the parent's offices are not theirs
    ops = Principal("token", Role.OPS, "t1", "ops token")
    assert ops.sees_office("anything", None)
    assert ops.sees_agency("moi")
    assert not unit.sees_agency("dopa")
