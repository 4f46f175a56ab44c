"""Catalogue tests: a migrated database of either kind, with the sample services loaded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from collector.registry import OfficeIn
from collector.registry_writes import upsert_office
from collector.services.reader import read_catalogue
from collector.services.store import import_catalogue
from collector.storage import Driver, open_driver
from tests.collector.conftest import make_settings

SAMPLE = Path(__file__).resolve().parents[3] / "collector" / "data" / "services-sample.json"
OFFICES = [
    ("cm-mueang-chiang-mai-dol", "ที่ว่าการอำเภอเมืองเชียงใหม่", "Mueang Chiang Mai", 18.78778, 98.98528),
    ("cm-san-sai-dol", "ที่ว่าการอำเภอสันทราย", "San Sai District Office", 18.8556, 99.0427),
    ("cm-hang-dong-dol", "ที่ว่าการอำเภอหางดง", "Hang Dong District Office", 18.6858, 98.9197),
]


async def add_offices(driver: Driver) -> None:
    for office_id, name_th, name_en, lat, lon in OFFICES:
        await upsert_office(
            driver,
            OfficeIn(
                office_id=office_id,
                name_th=name_th,
                name_en=name_en,
                agency="DOPA",
                province="Chiang Mai",
                lat=lat,
                lon=lon,
            ),
        )


@pytest.fixture
async def driver(db_url: str) -> AsyncIterator[Driver]:
    d = await open_driver(make_settings(db_url))
    try:
        yield d
    finally:
        await d.close()


@pytest.fixture
async def loaded(driver: Driver) -> Driver:
    """The 10 sample services and three Chiang Mai offices (no offerings yet)."""
    await add_offices(driver)
    await import_catalogue(driver, read_catalogue(SAMPLE.read_bytes(), SAMPLE.name))
    return driver
