"""Case tests: a migrated database of either kind, an installed contact key, office rows."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator

import pytest

from collector.cases.sealing import ContactSealer, use_sealer
from collector.storage import Driver, open_driver
from tests.collector.conftest import make_settings

CONTACT_KEY = base64.b64encode(bytes(range(32))).decode()
CONTACT_KEYS = f"k1:{CONTACT_KEY}"


@pytest.fixture(autouse=True)
def contact_key() -> Iterator[ContactSealer]:
    """A fixed test key for contacts at rest (the process-wide sealer, reset afterwards)."""
    sealer = ContactSealer({"k1": bytes(range(32))})
    use_sealer(sealer)
    yield sealer
    use_sealer(None)


@pytest.fixture
async def driver(db_url: str) -> AsyncIterator[Driver]:
    """A migrated database (SQLite and PostgreSQL) with two offices."""
    drv = await open_driver(make_settings(db_url))
    async with drv.transaction() as tx:
        for office_id, name, lat, lon in (
            ("OFF-BKK-01", "สำนักงานเขตบางรัก", 13.7291, 100.5246),
            ("OFF-CNX-01", "ที่ว่าการอำเภอเมืองเชียงใหม่", 18.7883, 98.9853),
        ):
            await tx.execute(
                "INSERT INTO offices (office_id, name_th, name_en, lat, lon, created_ms, "
                "updated_ms) VALUES (?, ?, ?, ?, ?, 0, 0)",
                office_id,
                name,
                office_id,
                lat,
                lon,
            )
    yield drv
    await drv.close()
