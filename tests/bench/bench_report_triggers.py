"""Benchmark: what migration 10's report triggers cost ingest (SQLite and PostgreSQL).

Rating events from ``--devices`` devices (one office each, one agency) over the last three hours
go through ``collector.storage.ingest_store.write_batch`` in batches of ``--batch`` (events, seq
state, office stamp, rating rollups, and the triggers that keep the report tables from the
rollups). Each database is measured twice, alternating: with migration 10's rollup triggers
(``rating_agency_hours`` and ``rating_office_weeks``) and, as the same run's baseline, with them
dropped (migration 9's ``rating_office_days`` triggers stay in both). Prints events/s of each and
the ratio. No target: the figure says what the heat-map's and ranking's speed costs at ingest.

    .venv/bin/python tests/bench/bench_report_triggers.py [--batches 30] [--batch 500]
        [--devices 50] [--rounds 2] [--no-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from collector.config import Settings
from collector.records import EventRow, IngestBatch
from collector.registry import DeviceIn, OfficeIn
from collector.registry_writes import upsert_device, upsert_office
from collector.storage import open_driver
from collector.storage.heatmap_schema import AGENCY_HOUR_ROLLUP_TRIGGER_NAMES
from collector.storage.ingest_store import write_batch
from tests.fixtures.postgres import create_database, drop_database

AGENCY = "cm-mueang-chiang-mai-dopa"


def _batches(args: argparse.Namespace) -> list[IngestBatch]:
    rng = random.Random(1)
    seqs: dict[str, int] = {}
    now = int(time.time() * 1000)
    out = []
    for _ in range(args.batches):
        events = []
        for _ in range(args.batch):
            device = f"bt-{rng.randrange(args.devices):04d}"
            seqs[device] = seqs.get(device, 0) + 1
            ts = now - rng.randrange(3 * 3_600_000)
            score, verified = rng.randint(1, 5), rng.randint(0, 1)
            events.append(
                EventRow(str(uuid.uuid4()), device, seqs[device], "rating", ts, ts, None,
                         score, 5, verified, "{}")
            )  # fmt: skip
        out.append(IngestBatch(events=events))
    return out


async def _run(db: str, dialect: str, triggers: bool, args: argparse.Namespace) -> float:
    driver = await open_driver(Settings(db_url=db))  # type: ignore[call-arg]
    try:
        if not triggers:
            on = " ON rating_rollups" if dialect == "postgres" else ""
            async with driver.transaction() as tx:
                for name in AGENCY_HOUR_ROLLUP_TRIGGER_NAMES[dialect]:
                    await tx.execute(f"DROP TRIGGER {name}{on}")
        for i in range(args.devices):
            office = f"bo-{i:04d}"
            await upsert_office(
                driver, OfficeIn(office_id=office, name_th=office, name_en=office, agency=AGENCY)
            )
            await upsert_device(
                driver, DeviceIn(device_id=f"bt-{i:04d}", office_id=office, counter_label="1")
            )
        batches = _batches(args)
        t0 = time.perf_counter()
        for batch in batches:
            await write_batch(driver, batch)
        return args.batches * args.batch / (time.perf_counter() - t0)
    finally:
        await driver.close()


def _one(dialect: str, triggers: bool, args: argparse.Namespace) -> float:
    if dialect == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-triggers-") as workdir:
            return asyncio.run(_run(str(Path(workdir) / "t.db"), dialect, triggers, args))
    name, url = create_database()
    try:
        return asyncio.run(_run(url, dialect, triggers, args))
    finally:
        drop_database(name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    dialects = ["sqlite"] if args.no_postgres else ["sqlite", "postgres"]
    rates: dict[tuple[str, bool], list[float]] = {}
    for _ in range(args.rounds):
        for dialect in dialects:
            for triggers in (True, False):
                rate = _one(dialect, triggers, args)
                rates.setdefault((dialect, triggers), []).append(rate)
                print(f"{dialect:8s} report triggers {'on ' if triggers else 'off'}: "
                      f"{rate:8,.0f} events/s", flush=True)  # fmt: skip
    print("\nsummary (best of rounds):")
    for dialect in dialects:
        on, off = max(rates[(dialect, True)]), max(rates[(dialect, False)])
        print(f"{dialect:8s} with migration 10's triggers {on:8,.0f} events/s, without (baseline) "
              f"{off:8,.0f} events/s: {on / off:.2f}x")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
