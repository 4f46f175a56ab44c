"""``CF_ROLE=reader`` against a real read-only PostgreSQL: a primary collector writes, a reader
process logs in as a role whose transactions are read-only (``default_transaction_read_only``,
SELECT grants only) and serves the API and pages, refusing writes with 503 naming the mode."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from collector.api.app import create_app
from collector.runtime import Collector
from collector.tokens import Role, create_token
from tests.collector.conftest import make_settings
from tests.fixtures.collector_process import CollectorProcess, CollectorStartError
from tests.fixtures.ports import free_port
from tests.fixtures.postgres import ADMIN_URL, create_database, drop_database

OFFICE = {
    "office_id": "cm-mae-rim-dol",
    "name_th": "ที่ว่าการอำเภอแม่ริม",
    "name_en": "Mae Rim District Office",
    "agency": "DOPA",
    "province": "Chiang Mai",
    "address": "Mae Rim, Chiang Mai",
    "lat": 18.91389,
    "lon": 98.94444,
}
DEVICE = {"device_id": "cm-mae-rim-dol-c01", "office_id": "cm-mae-rim-dol", "counter_label": "C01"}


async def _admin(database_url: str, *statements: str) -> None:
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        for sql in statements:
            await conn.execute(sql)
    finally:
        await conn.close()


def _as_user(url: str, user: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, f"{user}@{host}", parts.path, parts.query, parts.fragment))


@pytest.fixture
def primary_and_reader() -> Iterator[tuple[str, str]]:
    """(primary URL, reader URL) of one database; the reader's role may only SELECT and its
    transactions are read-only, like a session on a hot standby."""
    name, url = create_database()
    role = f"cf_test_reader_{uuid.uuid4().hex[:8]}"
    try:
        yield url, _as_user(url, role)
    finally:
        drop_database(name)
        asyncio.run(_admin(ADMIN_URL, f'DROP ROLE IF EXISTS "{role}"'))


async def _populate(primary: str) -> str:
    """Migrate and register an office and a device through the primary's API; a viewer token."""
    app = create_app(make_settings(primary), ingest=False)
    async with app.router.lifespan_context(app):
        collector: Collector = app.state.collector
        tech = await create_token(collector.driver, Role.TECHNICIAN, "tech")
        viewer = await create_token(collector.driver, Role.VIEWER, "viewer")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://primary") as client:
            auth = {"Authorization": f"Bearer {tech}"}
            assert (await client.post("/api/v1/offices", json=OFFICE, headers=auth)).is_success
            assert (await client.post("/api/v1/devices", json=DEVICE, headers=auth)).is_success
    return viewer


async def _grant_read_only(primary: str, role: str) -> None:
    database = urlsplit(primary).path.lstrip("/")
    await _admin(
        primary,
        f'CREATE ROLE "{role}" LOGIN',
        f'ALTER ROLE "{role}" SET default_transaction_read_only = on',
        f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"',
        f'GRANT USAGE ON SCHEMA public TO "{role}"',
        f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"',
    )


def _reader_process(tmp_path: Path, reader_url: str) -> CollectorProcess:
    dead_broker = f"mqtt://127.0.0.1:{free_port()}"  # nothing listens: a reader never connects
    return CollectorProcess(
        tmp_path / "reader",
        {"CF_ROLE": "reader", "CF_DB_URL": reader_url, "CF_MQTT_URL": dead_broker,
         "CF_ALERT_CHECK_INTERVAL_S": "1"},
    )  # fmt: skip


def test_a_reader_serves_reads_from_a_read_only_database_and_refuses_writes(
    tmp_path: Path, primary_and_reader: tuple[str, str]
) -> None:
    primary, reader_url = primary_and_reader
    viewer = asyncio.run(_populate(primary))
    asyncio.run(_grant_read_only(primary, urlsplit(reader_url).username or ""))

    async def write_as_reader() -> None:
        conn = await asyncpg.connect(reader_url, timeout=10)
        try:
            await conn.execute("DELETE FROM offices")
        finally:
            await conn.close()

    with pytest.raises(asyncpg.ReadOnlySQLTransactionError):  # the test's database is read-only
        asyncio.run(write_as_reader())

    reader = _reader_process(tmp_path, reader_url)
    reader.start_ready()
    try:
        with httpx.Client(base_url=reader.url, timeout=10) as http:
            ready = http.get("/readyz")
            assert ready.json()["checks"] == {"database": True, "broker": True}
            pins = http.get("/api/v1/offices").json()
            assert [f["properties"]["office_id"] for f in pins["features"]] == ["cm-mae-rim-dol"]
            token = {"Authorization": f"Bearer {viewer}"}  # a token's use is not recorded
            device = http.get("/api/v1/devices/cm-mae-rim-dol-c01", headers=token)
            assert device.status_code == 200, device.text
            assert device.json()["office_id"] == "cm-mae-rim-dol"
            for page in ("/", "/offices/cm-mae-rim-dol", "/services?q=mae"):
                assert http.get(page).status_code == 200, page
            refused = [
                http.post("/api/v1/offices", json=OFFICE, headers=token),
                http.patch("/api/v1/devices/cm-mae-rim-dol-c01", json={}, headers=token),
                http.post("/login", data={"email": "a@example.org", "password": "x" * 12}),
                http.delete("/api/v1/devices/cm-mae-rim-dol-c01/retained", headers=token),
            ]
            for response in refused:
                assert response.status_code == 503, response.text
                assert response.json()["field"] == "role"
                assert "CF_ROLE=reader" in response.json()["error"]
                assert response.headers["x-content-type-options"] == "nosniff"
        time.sleep(2.5)  # two alert intervals: a background writer would have failed by now
        assert reader.proc is not None
        assert reader.proc.poll() is None  # still serving
        log = reader.log_path.read_text()
        assert "read-only transaction" not in log
        assert "Traceback" not in log
    finally:
        reader.stop()
    assert "read-only transaction" not in reader.log_path.read_text()


def test_a_reader_refuses_a_database_without_the_schema(
    tmp_path: Path, primary_and_reader: tuple[str, str]
) -> None:
    primary, reader_url = primary_and_reader
    asyncio.run(_grant_read_only(primary, urlsplit(reader_url).username or ""))
    reader = _reader_process(tmp_path, reader_url)
    with pytest.raises(CollectorStartError):
        reader.start_ready(timeout_s=20)
    assert "run `python -m collector migrate` against the primary" in reader.log_path.read_text()


async def test_a_reader_starts_no_ingest_and_no_background_writer(
    primary_and_reader: tuple[str, str],
) -> None:
    primary, _reader = primary_and_reader
    await _populate(primary)
    app = create_app(make_settings(primary, role="reader", mqtt_url="mqtt://127.0.0.1:9"))
    async with app.router.lifespan_context(app):
        collector: Collector = app.state.collector
        assert not collector.ingest
        assert (collector.subscriber, collector.batcher, collector.day_keys, collector.cases) == (
            None, None, None, None,
        )  # fmt: skip
        assert not hasattr(app.state, "alert_task")
        assert await collector.readiness() == {"database": True, "broker": True}
