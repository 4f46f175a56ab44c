"""``CF_ROLE=reader`` on a real streaming hot standby (``tests/fixtures/pg_standby.py``).

A writer collector on the primary ingests ratings published over a private Mosquitto; a reader
collector on the standby (as ``cf_reader``, SELECT grants only) serves what the writer stored once
the standby replayed it, answers every write 503, refuses a schema older than its code, and keeps
serving the replayed data when the primary is gone. The tests share one pair and one writer and
run in file order: the last one stops the primary.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import asyncpg
import httpx
import pytest

from collector.storage import schema
from collector.storage.postgres import PostgresDriver
from protocols import Channel, topic
from tests.collector.devices import MqttPeer, rating, wait_for
from tests.fixtures.broker import MosquittoBroker
from tests.fixtures.collector_process import OPS_TOKEN, CollectorProcess, CollectorStartError
from tests.fixtures.pg_standby import StandbyPair
from tests.fixtures.ports import free_port

DEVICE = "cm-replica-c01"
AUTH = {"Authorization": f"Bearer {OPS_TOKEN}"}


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="cf-replica-") as path:
        yield Path(path)


@pytest.fixture(scope="module")
def broker(workdir: Path) -> Iterator[MosquittoBroker]:
    broker = MosquittoBroker(workdir / "broker")
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="module")
def writer(
    pg_standby: StandbyPair, broker: MosquittoBroker, workdir: Path
) -> Iterator[CollectorProcess]:
    """A collector on the primary (it migrates); then ``cf_reader`` may read its tables."""
    process = CollectorProcess(
        workdir / "writer",
        {"CF_DB_URL": pg_standby.primary_url(), "CF_MQTT_URL": broker.url,
         "CF_BOOTSTRAP_OPS_TOKEN": OPS_TOKEN, "CF_BATCH_WINDOW_MS": "20"},
        name="writer",
    )  # fmt: skip
    process.start_ready()
    try:
        pg_standby.grant_reader()
        yield process
    finally:
        process.stop()


def _reader_process(workdir: Path, db_url: str, name: str = "reader") -> CollectorProcess:
    dead_broker = f"mqtt://127.0.0.1:{free_port()}"  # nothing listens: a reader never connects
    env = {"CF_ROLE": "reader", "CF_DB_URL": db_url, "CF_MQTT_URL": dead_broker}
    return CollectorProcess(workdir / name, env, name=name)


@pytest.fixture(scope="module")
def reader(
    pg_standby: StandbyPair, writer: CollectorProcess, workdir: Path
) -> Iterator[CollectorProcess]:
    """A ``CF_ROLE=reader`` collector on the standby, once the writer's schema was replayed."""
    pg_standby.wait_replayed()
    process = _reader_process(workdir, pg_standby.standby_url())
    process.start_ready()
    try:
        yield process
    finally:
        process.stop()


def _device(url: str) -> dict[str, Any]:
    response = httpx.get(f"{url}/api/v1/devices/{DEVICE}", headers=AUTH, timeout=10)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _ingest(broker: MosquittoBroker, writer: CollectorProcess, seqs: range) -> None:
    peer = MqttPeer(broker.url)
    try:
        peer.publish_many((topic(DEVICE, Channel.EVENTS), rating(DEVICE, s)) for s in seqs)
    finally:
        peer.close()

    def acked() -> bool:
        response = httpx.get(f"{writer.url}/api/v1/devices/{DEVICE}", headers=AUTH, timeout=10)
        return response.status_code == 200 and response.json()["acked_seq"] == seqs[-1]

    wait_for(acked, timeout=20)


def test_the_reader_serves_what_the_writer_stored_once_the_standby_replayed_it(
    pg_standby: StandbyPair, broker: MosquittoBroker, writer: CollectorProcess,
    reader: CollectorProcess,
) -> None:  # fmt: skip
    _ingest(broker, writer, range(1, 201))
    pg_standby.wait_replayed()
    stored = _device(writer.url)
    served = _device(reader.url)
    fields = ("device_id", "registered", "last_seq", "acked_seq", "missing_seqs", "messages")
    assert {f: served[f] for f in fields} == {f: stored[f] for f in fields}
    assert served["last_seq"] == 200
    quarantine = httpx.get(f"{reader.url}/api/v1/quarantine", headers=AUTH, timeout=10).json()
    assert [(q["device_id"], q["events"]) for q in quarantine["items"]] == [(DEVICE, 200)]
    ready = httpx.get(f"{reader.url}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    assert ready.json()["replica"]["in_recovery"] is True  # a hot standby, not the primary
    assert ready.json()["replica"]["wal_receiver"] is True


def _write_operations(writer_url: str) -> list[tuple[str, str]]:
    """Every non-read operation of the writer's OpenAPI document, path parameters filled."""
    paths = httpx.get(f"{writer_url}/openapi.json", timeout=10).json()["paths"]
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", "x", path))
        for path, operations in paths.items()
        for method in operations
        if method.upper() not in ("GET", "HEAD", "OPTIONS")
    ]


def test_every_write_to_the_reader_answers_503_naming_the_mode(
    writer: CollectorProcess, reader: CollectorProcess
) -> None:
    operations = [*_write_operations(writer.url), ("POST", "/login")]
    assert len(operations) > 20  # the document lists the writes (registry, accounts, cases...)
    with httpx.Client(base_url=reader.url, headers=AUTH, timeout=10) as http:
        for method, path in operations:
            response = http.request(method, path, json={})
            assert response.status_code == 503, (method, path, response.text)
            assert "CF_ROLE=reader" in response.json()["error"], (method, path)
    with httpx.Client(base_url=writer.url, timeout=10) as http:  # the same write on the writer
        assert http.post("/api/v1/offices", json={}).status_code != 503


async def _migrate_all_but_the_last(url: str) -> int:
    driver = await PostgresDriver.open(url)
    try:
        with mock.patch.object(schema, "MIGRATIONS", schema.MIGRATIONS[:-1]):
            await schema.migrate(driver)
        return await schema.schema_version(driver)
    finally:
        await driver.close()


def test_the_reader_refuses_a_standby_whose_schema_is_older_than_its_code(
    pg_standby: StandbyPair, writer: CollectorProcess, workdir: Path
) -> None:
    pg_standby.execute(pg_standby.primary, 'CREATE DATABASE "cf_older"', database="postgres")
    older = pg_standby.primary_url().rsplit("/", 1)[0] + "/cf_older"
    version = asyncio.run(_migrate_all_but_the_last(older))
    assert version == schema.MIGRATIONS[-1][0] - 1
    pg_standby.wait_replayed()
    process = _reader_process(workdir, pg_standby.standby.url("cf_older"), name="older")
    with pytest.raises(CollectorStartError):
        process.start_ready(timeout_s=20)
    needed = schema.MIGRATIONS[-1][0]
    assert f"at migration {version}, this collector needs {needed}" in process.log_tail()


def test_with_the_primary_stopped_the_reader_serves_the_replayed_data(
    pg_standby: StandbyPair, broker: MosquittoBroker, writer: CollectorProcess,
    reader: CollectorProcess,
) -> None:  # fmt: skip
    _ingest(broker, writer, range(201, 301))
    pg_standby.wait_replayed()
    writer.stop()
    pg_standby.stop_primary()
    with pytest.raises(ConnectionRefusedError):  # the primary is gone
        asyncio.run(asyncpg.connect(pg_standby.primary_url(), timeout=5))
    assert _device(reader.url)["last_seq"] == 300  # stale reads: what was replayed
    replica = wait_for(
        lambda: (
            (r := httpx.get(f"{reader.url}/readyz", timeout=10).json()["replica"])
            and not r["wal_receiver"]
            and r
        ),
        timeout=10,
    )
    assert replica["in_recovery"] is True
    assert replica["last_replayed_commit"] is not None
    assert replica["replay_age_s"] >= 0
    ready = httpx.get(f"{reader.url}/readyz", timeout=10)
    assert ready.status_code == 200  # it still serves: readiness is about serving reads
    refused = httpx.post(f"{reader.url}/api/v1/offices", json={}, headers=AUTH, timeout=10)
    assert refused.status_code == 503
