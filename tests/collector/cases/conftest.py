"""Case tests: a migrated database of either kind, an installed contact key, office rows.

Migrating a fresh PostgreSQL database costs seconds; each test here gets a copy of one migrated
per session instead (``CREATE DATABASE ... TEMPLATE``; a file copy for SQLite), and drops it.
"""

from __future__ import annotations

import asyncio
import base64
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from collector.cases.sealing import ContactSealer, use_sealer
from collector.config import Settings
from collector.storage import Driver, open_driver
from tests.collector.conftest import make_settings
from tests.fixtures.postgres import create_database, drop_database

CONTACT_KEY = base64.b64encode(bytes(range(32))).decode()
CONTACT_KEYS = f"k1:{CONTACT_KEY}"


@pytest.fixture(autouse=True)
def contact_key() -> Iterator[ContactSealer]:
    """A fixed test key for contacts at rest (the process-wide sealer, reset afterwards)."""
    sealer = ContactSealer({"k1": bytes(range(32))})
    use_sealer(sealer)
    yield sealer
    use_sealer(None)


async def _migrate(url: str) -> None:
    driver = await open_driver(Settings(db_url=url))
    await driver.close()


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    sqlite = tmp_path_factory.mktemp("cases-template") / "template.db"
    asyncio.run(_migrate(str(sqlite)))
    name, url = create_database()
    asyncio.run(_migrate(url))
    try:
        yield {"sqlite": str(sqlite), "postgres": name}
    finally:
        drop_database(name)


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_templates: dict[str, str]
) -> Iterator[str]:
    """A migrated database of each kind, copied from the session's template."""
    if request.param == "sqlite":
        path = tmp_path / "collector.db"
        shutil.copyfile(migrated_templates["sqlite"], path)
        yield str(path)
        return
    name, url = create_database(template=migrated_templates["postgres"])
    try:
        yield url
    finally:
        drop_database(name)


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
