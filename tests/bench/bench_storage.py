"""Benchmark: bytes on disk per stored event, SQLite and PostgreSQL (docs/SCALE.md uses it).

Rating events (the bulk of the stream: one per citizen, a session.started/ended pair per card
visit on top) from N devices go through the collector's own path: encoded with ``protocols``,
validated by ``collector.ingest.decoder.build_batch``, committed by
``collector.storage.ingest_store.write_batch`` in batches of 1,000 (as ingest does: events,
seq state, fleet state, rating rollups). Measured: the database's growth, indexes included.

- SQLite: page_count x page_size after a WAL checkpoint, before and after.
- PostgreSQL: pg_database_size after CHECKPOINT and VACUUM (ANALYZE), before and after.

    .venv/bin/python tests/bench/bench_storage.py [--events 100000] [--devices 100] [--no-postgres]

Prints bytes per event for each database beside the same run's baseline, the MQTT payload's size.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import asyncpg

from collector.config import Settings
from collector.ingest.decoder import build_batch
from collector.records import RawMessage
from collector.storage import open_driver
from collector.storage.ingest_store import write_batch
from protocols import Channel, Rating, RatingBody, encode, new_message_id, now, topic
from tests.fixtures.postgres import create_database, drop_database

BATCH = 1000


def _messages(devices: int, events: int) -> list[RawMessage]:
    ids = [f"cm-bench-office-{i // 4:03d}-c{i % 4 + 1:02d}" for i in range(devices)]
    out: list[RawMessage] = []
    received = int(time.time() * 1000)
    for n in range(events):
        device, seq = ids[n % devices], n // devices + 1
        body = RatingBody(session=None, score=1 + n % 5, scale=5, verified=bool(n % 3))
        payload = encode(
            Rating(v=1, id=new_message_id(), device=device, ts=now(), seq=seq, body=body)
        )
        out.append(RawMessage(topic(device, Channel.EVENTS), payload, n, 1, received, 1))
    return out


async def _fill(db_url: str, messages: list[RawMessage]) -> float:
    driver = await open_driver(Settings(db_url=db_url))  # type: ignore[call-arg]
    try:
        started = time.perf_counter()
        for i in range(0, len(messages), BATCH):
            await write_batch(driver, build_batch(messages[i : i + BATCH]))
        return time.perf_counter() - started
    finally:
        await driver.close()


def _sqlite_bytes(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    return int(pages * size)


async def _pg_bytes(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("CHECKPOINT")
        await conn.execute("VACUUM (ANALYZE)")
        return int(await conn.fetchval("SELECT pg_database_size(current_database())"))
    finally:
        await conn.close()


async def _sqlite(messages: list[RawMessage]) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="cf-bench-storage-") as tmp:
        path = Path(tmp) / "collector.db"
        await _fill(str(path), [])  # schema only
        before = _sqlite_bytes(path)
        seconds = await _fill(str(path), messages)
        return (_sqlite_bytes(path) - before) / len(messages), seconds


async def _postgres(url: str, messages: list[RawMessage]) -> tuple[float, float]:
    await _fill(url, [])
    before = await _pg_bytes(url)
    seconds = await _fill(url, messages)
    return (await _pg_bytes(url) - before) / len(messages), seconds


def _report(database: str, per_event: float, payload: float, rate: float) -> None:
    print(
        f"{database + ':':<12}{per_event:7.0f} bytes/event on disk = {per_event / payload:.2f}x the"
        f" payload (baseline)  [write {rate:,.0f} events/s through write_batch]"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    messages = _messages(args.devices, args.events)
    payload = sum(len(m.payload) for m in messages) / len(messages)
    print(f"{args.events} rating events, {args.devices} devices, {payload:.0f} payload bytes each")
    per_event, seconds = asyncio.run(_sqlite(messages))
    _report("SQLite", per_event, payload, args.events / seconds)
    if not args.no_postgres:
        name, url = create_database()
        try:
            per_event, seconds = asyncio.run(_postgres(url, messages))
        finally:
            drop_database(name)
        _report("PostgreSQL", per_event, payload, args.events / seconds)


if __name__ == "__main__":
    main()
