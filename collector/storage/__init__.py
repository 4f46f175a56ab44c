"""Storage: one schema (numbered migrations) on SQLite (default) or PostgreSQL (``CF_DB_URL``)."""

from __future__ import annotations

from collector.config import Settings
from collector.storage.driver import Driver, Row, Tx
from collector.storage.postgres import PostgresDriver
from collector.storage.schema import migrate
from collector.storage.sqlite import SqliteDriver


async def open_driver(settings: Settings, *, run_migrations: bool = True) -> Driver:
    """Connect to the configured database and bring its schema up to date."""
    driver: Driver
    if settings.is_postgres:
        driver = await PostgresDriver.open(settings.db_url)
    else:
        driver = await SqliteDriver.open(
            settings.sqlite_path, synchronous=settings.sqlite_synchronous
        )
    if run_migrations:
        try:
            await migrate(driver)
        except BaseException:
            await driver.close()
            raise
    return driver


__all__ = ["Driver", "Row", "Tx", "migrate", "open_driver"]
