"""Several ingest workers committing at once to one PostgreSQL (a shared subscription spreads a
device's messages over every worker): no deadlock or other error escapes ``write_batch``, every
event is stored once, each device's seq high-water mark and gaps are right, and the rollup,
office-day, agency-hour and office-week sums equal the ratings the test sent.

The batches overlap in devices (serialized by the seq row locks) and, without sharing a device,
in offices and in the one agency-hour all their ratings fall in: before
``collector.storage.report_row_locks`` their triggers locked office-days and the agency-hour row
interleaved, in each batch's own order, and deadlocked."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timedelta

import asyncpg
import pytest

from collector.ingest.decoder import build_batch
from collector.records import BatchResult, EventRow, IngestBatch, RawMessage
from collector.registry import DeviceIn, OfficeIn
from collector.registry_writes import upsert_device, upsert_office
from collector.storage import Driver, open_driver
from collector.storage.ingest_store import write_batch
from collector.storage.postgres import PostgresDriver
from protocols import Channel, topic
from tests.collector.conftest import make_settings
from tests.collector.devices import heartbeat, rating
from tests.collector.managers.data import HOUR, THAI, norm

AGENCIES = {"A": "cm-mueang-chiang-mai-dopa", "B": "cm-chom-thong-dopa"}
OFFICES = {f"o-a{i}": "A" for i in range(8)} | {"o-b0": "B", "o-b1": "B"}
COUNTERS = 3
WRITERS = 6
ROUNDS = 12
SKIPPED = ("cm-conc-o-a3-c02", 5)  # a seq never sent: its gap stays open
Key = tuple[object, ...]


def device(office: str, counter: int) -> str:
    return f"cm-conc-{office}-c{counter:02d}"


DEVICES = {device(o, c): o for o in OFFICES for c in range(1, COUNTERS + 1)}


class Sent:
    """What the test sent, counted by the test."""

    def __init__(self) -> None:
        self.seqs: Counter[str] = Counter()
        self.delivered: Counter[str] = Counter()  # messages per device, redeliveries included
        self.events: dict[str, EventRow] = {}

    def raw(self, dev: str, rng: random.Random) -> RawMessage:
        self.seqs[dev] += 1
        if (dev, self.seqs[dev]) == SKIPPED:
            self.seqs[dev] += 1
        scale = rng.choice((3, 5))
        payload = rating(dev, self.seqs[dev], rng.randint(1, scale), scale, rng.random() < 0.5)
        return RawMessage(topic(dev, Channel.EVENTS), payload, 1, 1, int(time.time() * 1000), 1)


def _batches(sent: Sent, rng: random.Random) -> Iterator[list[IngestBatch]]:
    """Per round, one batch per writer: writer w rates through counter w % 3 of every office
    (writers w and w + 3 share devices, the others only offices), in its own office order,
    plus a heartbeat from a device of the next counter (fleet_state rows of other writers)."""
    for _ in range(ROUNDS):
        batches = []
        for w in range(WRITERS):
            offices = list(OFFICES)
            rng.shuffle(offices)
            msgs = [sent.raw(device(o, w % COUNTERS + 1), rng) for o in offices for _ in range(3)]
            beat = device(offices[0], (w + 1) % COUNTERS + 1)
            now = int(time.time() * 1000)
            msgs.append(RawMessage(topic(beat, Channel.HEARTBEAT), heartbeat(beat), 1, 1, now, 1))
            batch = build_batch(msgs)
            assert not batch.dead_letters
            sent.events.update((e.id, e) for e in batch.events)
            batches.append(batch)
        batches.append(batches[0])  # redelivered to another worker at the same time
        for batch in batches:
            sent.delivered.update(batch.seen_counts)
        yield batches


def _week(hour_ms: int) -> date:
    local = datetime.fromtimestamp(hour_ms / 1000, THAI).date()
    return local - timedelta(days=local.weekday())


def _expected(events: list[EventRow]) -> dict[str, dict[Key, tuple[int, float, int]]]:
    sums: dict[str, dict[Key, list[float]]] = {t: {} for t in ("hours", "days", "weeks", "rollups")}
    for e in events:
        assert e.score is not None
        assert e.scale is not None
        assert e.verified is not None
        office = DEVICES[e.device_id]
        local = datetime.fromtimestamp(e.ts_ms / 1000, THAI)
        day = (local.date() - date(1970, 1, 1)).days
        hour_ms = e.ts_ms // HOUR * HOUR
        keys = {
            "hours": (AGENCIES[OFFICES[office]], day, local.hour),
            "days": (office, day),
            "weeks": (office, _week(hour_ms)),
            "rollups": (office, e.device_id, hour_ms, e.scale, e.score, e.verified),
        }
        for table, key in keys.items():
            entry = sums[table].setdefault(key, [0, 0.0, 0])
            entry[0] += 1
            entry[1] += norm(e.score, e.scale)
            entry[2] += e.verified
    return {t: {k: (int(a), b, int(c)) for k, (a, b, c) in s.items()} for t, s in sums.items()}


async def _tables(driver: Driver) -> dict[str, dict[Key, tuple[int, float, int]]]:
    got: dict[str, dict[Key, tuple[int, float, int]]] = {}
    hours = await driver.fetch("SELECT * FROM rating_agency_hours")
    got["hours"] = {(r["agency_id"], r["day"], r["hour"]): (r["n"], r["total"], r["verified"])
                    for r in hours}  # fmt: skip
    days = await driver.fetch("SELECT * FROM rating_office_days")
    got["days"] = {(r["office_id"], r["day"]): (r["n"], r["total"], r["verified"]) for r in days}
    weeks = await driver.fetch("SELECT * FROM rating_office_weeks")
    got["weeks"] = {(r["office_id"], date(1970, 1, 1) + timedelta(days=7 * r["week"] - 3)):
                    (r["n"], r["total"], r["verified"]) for r in weeks}  # fmt: skip
    rollups = await driver.fetch("SELECT * FROM rating_rollups")
    got["rollups"] = {(r["office_id"], r["device_id"], r["hour_ms"], r["scale"], r["score"],
                       r["verified"]): (r["n"], r["n"] * norm(r["score"], r["scale"]),
                                        r["n"] * r["verified"]) for r in rollups}  # fmt: skip
    return got


async def _deadlocks(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(
            await conn.fetchval(
                "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
            )
        )
    finally:
        await conn.close()


@pytest.fixture
async def registry(postgres_url: str) -> AsyncIterator[Driver]:
    driver = await open_driver(make_settings(postgres_url))
    try:
        for office, agency in OFFICES.items():
            await upsert_office(
                driver,
                OfficeIn(office_id=office, name_th=office, name_en=office, agency=AGENCIES[agency]),
            )
        for dev, office in DEVICES.items():
            await upsert_device(
                driver, DeviceIn(device_id=dev, office_id=office, counter_label="1")
            )
        yield driver
    finally:
        await driver.close()


async def test_concurrent_batches_neither_deadlock_nor_miscount(
    registry: Driver, postgres_url: str
) -> None:
    sent, rng = Sent(), random.Random(14)
    writers = [await PostgresDriver.open(postgres_url, max_size=1) for _ in range(WRITERS + 1)]
    deadlocks_before = await _deadlocks(postgres_url)
    try:
        for batches in _batches(sent, rng):
            results = await asyncio.gather(
                *(write_batch(w, b) for w, b in zip(writers, batches, strict=True)),
                return_exceptions=True,
            )
            escaped = [r for r in results if not isinstance(r, BatchResult)]
            assert escaped == []
    finally:
        for w in writers:
            await w.close()
    await asyncio.sleep(0.5)  # the writers' backends publish their statistics as they exit
    assert await _deadlocks(postgres_url) == deadlocks_before

    stored = await registry.fetchrow("SELECT count(*) AS n, count(DISTINCT id) AS ids FROM events")
    assert stored == {"n": len(sent.events), "ids": len(sent.events)}
    seq = {r["device_id"]: r for r in await registry.fetch("SELECT * FROM device_seq")}
    gaps = await registry.fetch("SELECT device_id, from_seq, to_seq, status FROM seq_gaps")
    skipped_device, skipped_seq = SKIPPED
    assert [tuple(g.values()) for g in gaps] == [(skipped_device, skipped_seq, skipped_seq, "open")]
    for dev, high in sent.seqs.items():
        acked, missing = (skipped_seq - 1, 1) if dev == skipped_device else (high, 0)
        row = seq[dev]
        assert (row["max_seq"], row["acked_seq"], row["missing"]) == (high, acked, missing), dev
    fleet = await registry.fetch("SELECT device_id, messages FROM fleet_state")
    assert {r["device_id"]: r["messages"] for r in fleet} == dict(sent.delivered)

    want, got = _expected(list(sent.events.values())), await _tables(registry)
    for table, sums in want.items():
        assert set(got[table]) == set(sums), table
        for key, (n, total, verified) in sums.items():
            assert got[table][key][0] == n, (table, key)
            assert got[table][key][1] == pytest.approx(total), (table, key)
            assert got[table][key][2] == verified, (table, key)
