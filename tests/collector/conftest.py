"""Collector test set-up: settings for a private broker and a database of either kind."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from collector.config import Settings
from collector.ingest.subscriber import wait_ready
from collector.runtime import Collector
from tests.fixtures.broker import MosquittoBroker


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same tests on SQLite and on PostgreSQL (a throwaway database)."""
    if request.param == "sqlite":
        return str(tmp_path / "collector.db")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return str(tmp_path / "collector.db")


def make_settings(db: str, broker: MosquittoBroker | None = None, **extra: object) -> Settings:
    values: dict[str, object] = {"db_url": db, "batch_window_ms": 20}
    if broker is not None:
        values["mqtt_url"] = broker.url
        values["mqtt_client_id"] = "cf-collector-test"
    values.update(extra)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def running(mosquitto: MosquittoBroker, sqlite_url: str) -> AsyncIterator[Collector]:
    """An in-process collector (ingest on) on SQLite and a private broker, ready."""
    collector = Collector(make_settings(sqlite_url, mosquitto))
    await collector.start()
    assert collector.subscriber is not None
    assert await wait_ready(collector.subscriber, 10)
    yield collector
    await collector.stop()
