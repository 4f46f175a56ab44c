"""Benchmark: N ingest workers writing one PostgreSQL at once (lock waits, deadlocks, errors).

A shared subscription (``CF_INGEST_WORKERS`` > 1) hands each message to any worker, so the
messages of one device are spread over every worker and their transactions touch the same rows.
Here rating messages are encoded with ``protocols``, dealt round-robin to 1, 2 and 4 writers (as
the broker does), cut into batches and validated by ``collector.ingest.decoder.build_batch``; each
writer is an asyncio task with its own connection committing its batches with
``collector.storage.ingest_store.write_batch`` (a transient failure is retried after 50 ms, as
``collector/ingest/batcher.py`` does). Each run has a fresh copy of one throwaway database.

Two mixes:

- ``shared``: ``--devices`` devices (2 per office, offices in 2 agencies), ratings over the last
  3 hours, batches of ``--batch`` messages: every batch holds every device (a busy stream);
- ``hot``: ``--hot-devices`` devices (5 per office) all in one agency and all ratings in one hour
  (one ``rating_agency_hours`` row every writer updates), batches of ``--hot-batch`` messages
  (a quiet stream, 50 ms windows: concurrent batches mostly hold different devices).

Measured per run (``--rounds`` rounds of 1, 2, 4 writers): events/s (beside the same round's
1-writer baseline); the share of the writers' time spent waiting for a lock (their backends'
``pg_stat_activity.wait_event_type = 'Lock'``, sampled every ``--sample-ms`` from another
connection); deadlocks (``pg_stat_database.deadlocks`` after minus before); retries and errors;
and a check that every event is stored once and the rollup, office-day, agency-hour and
office-week sums equal the ratings sent. Exits 1 if an error escaped or a sum is wrong.

    .venv/bin/python tests/bench/bench_pg_contention.py
        [--writers 1 2 4] [--events 20000] [--devices 20] [--batch 500]
        [--hot-events 8000] [--hot-devices 1000] [--hot-batch 20] [--sample-ms 5] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import asyncpg

from collector.config import Settings
from collector.errors import TransientStorageError
from collector.ingest.decoder import build_batch
from collector.records import IngestBatch, RawMessage
from collector.registry import DeviceIn, OfficeIn
from collector.registry_writes import upsert_device, upsert_office
from collector.storage import open_driver
from collector.storage.ingest_store import write_batch
from collector.storage.postgres import PostgresDriver
from protocols import Channel, Rating, RatingBody, encode, new_message_id, topic
from tests.fixtures.postgres import create_database, drop_database

AGENCIES = ("cm-mueang-chiang-mai-dopa", "cm-chom-thong-dopa")
HOUR_MS = 3_600_000
APP = "cf-bench-writer"
SUM_TABLES = ("rating_rollups", "rating_office_days", "rating_agency_hours", "rating_office_weeks")


@dataclass(frozen=True)
class Mix:
    name: str
    devices: int
    per_office: int
    agencies: tuple[str, ...]
    hours: int
    events: int
    batch: int

    def device(self, i: int) -> str:
        return f"cm-{self.name}-{i // self.per_office:04d}-c{i % self.per_office + 1:02d}"

    def office(self, i: int) -> str:
        return f"bench-{self.name}-{i // self.per_office:04d}"


@dataclass
class Outcome:
    seconds: float = 0.0
    lock_samples: int = 0
    writer_samples: int = 0
    waits: Counter[str] = field(default_factory=Counter)
    deadlocks: int = 0
    retries: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    sums_ok: bool = False


async def _seed(url: str, mix: Mix) -> None:
    driver = await open_driver(Settings(db_url=url))  # type: ignore[call-arg]
    try:
        for i in range(0, mix.devices, mix.per_office):
            office = mix.office(i)
            agency = mix.agencies[(i // mix.per_office) % len(mix.agencies)]
            await upsert_office(
                driver, OfficeIn(office_id=office, name_th=office, name_en=office, agency=agency)
            )
        for i in range(mix.devices):
            await upsert_device(
                driver,
                DeviceIn(device_id=mix.device(i), office_id=mix.office(i), counter_label="1"),
            )
    finally:
        await driver.close()


def _streams(mix: Mix, writers: int, rng: random.Random) -> list[list[IngestBatch]]:
    """The mix's messages, devices interleaved, dealt round-robin to ``writers`` and batched."""
    now = int(time.time() * 1000)
    first_hour = (now // HOUR_MS - mix.hours) * HOUR_MS
    seqs = [0] * mix.devices
    dealt: list[list[RawMessage]] = [[] for _ in range(writers)]
    for n in range(mix.events):
        i = rng.randrange(mix.devices)  # n % devices would give each writer its own devices
        seqs[i] += 1
        ts = first_hour + rng.randrange(mix.hours * HOUR_MS)
        scale = rng.choice((3, 5))
        body = RatingBody(
            session=None, score=rng.randint(1, scale), scale=scale, verified=rng.random() < 0.5
        )
        when = datetime.fromtimestamp(ts / 1000, UTC)
        payload = encode(
            Rating(v=1, id=new_message_id(), device=mix.device(i), ts=when, seq=seqs[i], body=body)
        )
        dealt[n % writers].append(
            RawMessage(topic(mix.device(i), Channel.EVENTS), payload, n, 1, now, 1)
        )
    return [
        [build_batch(msgs[k : k + mix.batch]) for k in range(0, len(msgs), mix.batch)]
        for msgs in dealt
    ]


async def _write(url: str, batches: list[IngestBatch], out: Outcome) -> None:
    driver = await PostgresDriver.open(f"{url}?application_name={APP}", max_size=1)
    try:
        for batch in batches:
            while True:
                try:
                    await write_batch(driver, batch)
                    break
                except TransientStorageError:
                    out.retries += 1
                    await asyncio.sleep(0.05)
                except Exception as exc:  # counted and reported, the run goes on
                    out.errors[type(exc).__name__] += 1
                    break
    finally:
        await driver.close()


async def _sample(conn: asyncpg.Connection, every_s: float, out: Outcome) -> None:
    while True:
        rows = await conn.fetch(
            "SELECT wait_event_type, wait_event FROM pg_stat_activity WHERE application_name = $1",
            APP,
        )
        for r in rows:
            out.writer_samples += 1
            if r["wait_event_type"] == "Lock":
                out.lock_samples += 1
                out.waits[r["wait_event"]] += 1
        await asyncio.sleep(every_s)


async def _deadlocks(conn: asyncpg.Connection) -> int:
    return int(
        await conn.fetchval(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        )
    )


async def _sums_ok(conn: asyncpg.Connection, sent: int) -> bool:
    got = [int(await conn.fetchval("SELECT count(*) FROM events"))]
    for table in SUM_TABLES:
        got.append(int(await conn.fetchval(f"SELECT coalesce(sum(n), 0) FROM {table}")))  # noqa: S608
    return got == [sent] * len(got)


async def _run(url: str, mix: Mix, writers: int, sample_ms: float) -> Outcome:
    out = Outcome()
    streams = _streams(mix, writers, random.Random(writers))
    conn = await asyncpg.connect(url)
    try:
        before = await _deadlocks(conn)
        sampler = asyncio.create_task(_sample(conn, sample_ms / 1000, out))
        t0 = time.perf_counter()
        await asyncio.gather(*(_write(url, s, out) for s in streams))
        out.seconds = time.perf_counter() - t0
        sampler.cancel()
        await asyncio.gather(sampler, return_exceptions=True)
        await asyncio.sleep(0.7)  # pg_stat_database is published by the backends with a delay
        out.deadlocks = await _deadlocks(conn) - before
        out.sums_ok = await _sums_ok(conn, mix.events)
    finally:
        await conn.close()
    return out


def _measure(template: str, mix: Mix, writers: int, sample_ms: float) -> Outcome:
    name, url = create_database(template)
    try:
        return asyncio.run(_run(url, mix, writers, sample_ms))
    finally:
        drop_database(name)


def _line(mix: Mix, writers: int, out: Outcome, base: float) -> str:
    rate = mix.events / out.seconds
    share = out.lock_samples / out.writer_samples if out.writer_samples else 0.0
    top = ", ".join(f"{k} {v}" for k, v in out.waits.most_common(2)) or "-"
    errors = sum(out.errors.values())
    return (
        f"{mix.name:6s} {writers} writer(s): {rate:7,.0f} events/s ({rate / base:4.2f}x of 1) "
        f"lock wait {share:5.1%} ({top}), deadlocks {out.deadlocks}, retries {out.retries}, "
        f"errors {errors}{'' if not errors else ' ' + str(dict(out.errors))}, "
        f"sums {'ok' if out.sums_ok else 'WRONG'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--hot-events", type=int, default=8_000)
    parser.add_argument("--hot-devices", type=int, default=1_000)
    parser.add_argument("--hot-batch", type=int, default=20)
    parser.add_argument("--sample-ms", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if 1 not in args.writers:
        parser.error("--writers must include 1 (the baseline)")
    mixes = [
        Mix("shared", args.devices, 2, AGENCIES, 3, args.events, args.batch),
        Mix("hot", args.hot_devices, 5, AGENCIES[:1], 1, args.hot_events, args.hot_batch),
    ]
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    failed = False
    for mix in mixes:
        template, url = create_database()
        try:
            asyncio.run(_seed(url, mix))
            for _ in range(args.rounds):
                base = 0.0
                for writers in sorted(args.writers):
                    out = _measure(template, mix, writers, args.sample_ms)
                    base = base or mix.events / out.seconds
                    print(_line(mix, writers, out, base), flush=True)
                    failed |= not out.sums_ok or bool(out.errors)
        finally:
            drop_database(template)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    if failed:
        print(
            "bench_pg_contention: an error escaped or a sum is wrong (see above)", file=sys.stderr
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
