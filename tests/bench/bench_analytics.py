"""Benchmark: the managers' analytics over 10 million stored ratings and 2,000 offices.

For SQLite and PostgreSQL (a throwaway database on 127.0.0.1:5432), builds the schema with the
real migrations, then generates in SQL (a recursive CTE on SQLite, ``generate_series`` on
PostgreSQL) ``--ratings`` rating events as ingest stores them (office and counter stamped,
``rollup_mark`` set) over one year of office hours (Monday-Friday 08:30-16:30 Thai time) at
``--offices`` offices with two counter devices each, and the hourly ``rating_rollups`` from them
with the same GROUP BY ingest and migration 6 use; the report tables kept from the rollups by
triggers (``rating_office_days``, migration 9; ``rating_office_weeks`` and
``rating_agency_hours``, migration 10) are filled by their migrations' GROUP BY instead of 10
million trigger firings. Then serves the real app with uvicorn on
loopback (ops token) and times, for a 30-day period:

- heatmap of one random office     ``GET /api/v1/analytics/heatmap?office_id=...``
- heatmap of every office in scope ``GET /api/v1/analytics/heatmap``
- ranking of every office          ``GET /api/v1/analytics/ranking``
- export of the ranking (CSV)      ``GET /api/v1/analytics/export?report=ranking``

each printed (p50, p95, max) beside the same figure by a plain SQL query over the raw events in
the same run (no rollups), whose counts are checked equal to the API's, and the target (p95 <=
100 ms for the page endpoints). No timing is asserted.

    .venv/bin/python tests/bench/bench_analytics.py [--ratings 10000000] [--offices 2000]
        [--queries 100] [--baseline-queries 10] [--heavy-queries 20]
        [--backends sqlite,postgres] [--sqlite-file FILE] [--postgres-url URL]
        [--generate-only]

``--sqlite-file`` / ``--postgres-url`` name a database that is kept: empty (a new file, a new
PostgreSQL database) it is generated into, with ratings it is reused as it is (its migrations
brought up to date first). Generate once under ``nice`` with ``--generate-only``, then measure
on the saved data as often as needed.

This file is the entry point; the work is done in ``tests/bench/analytics/`` (``generate.py``,
``baseline.py`` for the plain SQL, ``server.py``, ``measure.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import asyncpg

from collector.config import Settings
from collector.storage import open_driver
from collector.tokens import Role, create_token
from tests.bench.analytics.generate import (
    has_events,
    postgres_generate,
    sqlite_generate,
    stored_counts,
)
from tests.bench.analytics.measure import measure_endpoints
from tests.fixtures.postgres import ADMIN_URL


def run_backend(db: str, label: str, args: argparse.Namespace) -> list[str]:
    settings = Settings(db_url=db)

    async def schema() -> str:
        driver = await open_driver(settings)
        try:
            return await create_token(driver, Role.OPS, "bench")
        finally:
            await driver.close()

    token = asyncio.run(schema())
    t0 = time.perf_counter()
    if args.reuse and asyncio.run(has_events(settings)):
        pass  # a database an earlier run generated (--sqlite-file / --postgres-url)
    elif db.startswith("postgresql://"):
        asyncio.run(postgres_generate(db, args.ratings, args.offices))
    else:
        sqlite_generate(db, args.ratings, args.offices)
    built = time.perf_counter() - t0
    events, rollups = asyncio.run(stored_counts(settings))
    out = [
        f"[{label}] {events:,} ratings, {rollups:,} rollup rows, {args.offices} offices; "
        f"generated in {built:.0f} s"
    ]
    print(out[0], flush=True)
    if args.generate_only:
        return out
    return out + measure_endpoints(db, label, token, args)


async def _admin(sql: str) -> None:
    con = await asyncpg.connect(ADMIN_URL, timeout=10)
    try:
        await con.execute(sql)
    finally:
        await con.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=10_000_000)
    parser.add_argument("--offices", type=int, default=2_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--baseline-queries", type=int, default=10)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument(
        "--heavy-queries", type=int, default=20, help="runs of the all-office heatmap"
    )
    parser.add_argument("--sqlite-file", help="a kept SQLite file: generated if new, else reused")
    parser.add_argument(
        "--postgres-url", help="a kept PostgreSQL database: generated if empty, else reused"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--generate-only", action="store_true", help="generate (or migrate) and stop, no timing"
    )
    args = parser.parse_args()
    args.reuse = bool(args.sqlite_file or args.postgres_url)
    if args.reuse:
        label = "sqlite" if args.sqlite_file else "postgres"
        kept = run_backend(args.sqlite_file or args.postgres_url, label, args)
        print("\n".join(["", "summary:", *kept]))
        return 0
    report: list[str] = []
    for backend in args.backends.split(","):
        if backend == "sqlite":
            workdir = Path(tempfile.mkdtemp(prefix="bench-analytics-"))
            try:
                report += run_backend(str(workdir / "bench.db"), "sqlite", args)
            finally:
                for f in workdir.iterdir():
                    f.unlink()
                workdir.rmdir()
        elif backend == "postgres":
            name = f"cf_bench_{random.randrange(16**8):08x}"
            try:
                asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
            except (OSError, asyncpg.PostgresError) as exc:
                print(f"bench_analytics: PostgreSQL at {ADMIN_URL} is not usable: {exc}")
                return 2
            try:
                url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
                report += run_backend(url, "postgres", args)
            finally:
                asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        else:
            print(f"bench_analytics: --backends: unknown backend {backend!r}")
            return 2
    print("\n".join(["", "summary:", *report]))
    differing = [line for line in report if "differing" in line and not line.endswith(": 0")]
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
