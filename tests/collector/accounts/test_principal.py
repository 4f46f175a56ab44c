"""Scope decisions of a principal, and how an office's free-text agency maps onto the hierarchy."""

from __future__ import annotations

from collector.accounts.principal import PersonRole, Principal, agency_subtree
from collector.storage import open_driver
from collector.tokens import Role
from tests.collector.conftest import make_settings


async def test_office_agency_text_matches_id_or_names_in_the_subtree(db_url: str) -> None:
    driver = await open_driver(make_settings(db_url))
    try:
        dopa = await agency_subtree(driver, "dopa")
        district = await agency_subtree(driver, "cm-mae-rim-dopa")
    finally:
        await driver.close()
    admin = Principal("session", PersonRole.AGENCY_ADMIN, agencies=dopa)
    # The simulator's offices say "กรมการปกครอง (Department of Provincial Administration)".
    assert admin.sees_office("x", "กรมการปกครอง (Department of Provincial Administration)")
    assert admin.sees_office("x", "DOPA")
    assert admin.sees_office("x", "cm-mae-rim-dopa")  # a unit below
    assert not admin.sees_office("x", "moi")  # the ministry above is not in scope
    assert not admin.sees_office("x", "")
    unit = Principal(
        role=PersonRole.MANAGER,
        kind="session",
        agencies=district,
        office_ids=frozenset({"cm-mae-rim-dol"}),
    )
    assert unit.sees_office("cm-mae-rim-dol", "ที่ว่าการอำเภอแม่ริม")
    assert not unit.sees_office("cm-mae-taeng-dol", "ที่ว่าการอำเภอแม่ริม")  # not assigned
    assert not unit.sees_office("cm-mae-rim-dol", "dopa")  # the parent's offices are not theirs
    ops = Principal("token", Role.OPS, "t1", "ops token")
    assert ops.sees_office("anything", None)
    assert ops.sees_agency("moi")
    assert not unit.sees_agency("dopa")
