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
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import asyncpg
import httpx

from collector.analytics.reports import LOCAL_HOUR, WEEKDAY
from collector.api.app import create_app
from collector.config import Settings
from collector.storage import Driver, open_driver
from collector.storage.heatmap_schema import (
    AGENCY_HOUR_FILL,
    AGENCY_HOUR_ROLLUP_TRIGGER_NAMES,
    AGENCY_HOUR_ROLLUP_TRIGGERS,
    OFFICE_WEEK_FILL,
)
from collector.storage.managers_schema import OFFICE_DAY_FILL, OFFICE_DAY_TRIGGERS
from collector.tokens import Role, create_token
from tests.fixtures.ports import free_port
from tests.fixtures.postgres import ADMIN_URL

REPO = Path(__file__).resolve().parents[2]
START_MS = 1_736_096_400_000  # Monday 2025-01-06 00:00 Thai time
DAY_MS = 86_400_000
WEEKS = 52
TARGET_MS = 100.0
AGENCY = "cm-mueang-chiang-mai-dopa"
# START_MS is a Thai midnight, so a time of day t after it is Thai local t: office hours
# 08:30-16:30 are 30,600,000 ms after it, for 28,800,000 ms.
OPEN_FROM_MS, OPEN_FOR_MS = 30_600_000, 28_800_000


def _sqlite_generate(path: str, ratings: int, offices: int) -> None:
    devices = offices * 2
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA journal_mode = OFF")  # a bulk load into a scratch file
        con.execute("PRAGMA synchronous = OFF")
        con.execute("PRAGMA cache_size = -512000")
        con.execute("PRAGMA temp_store = MEMORY")
        office_rows = [
            (f"bo-{i:05d}", f"สำนักงานทดสอบ {i}", f"Bench office {i}", AGENCY, AGENCY)
            for i in range(offices)
        ]
        con.executemany(
            "INSERT INTO offices (office_id, name_th, name_en, agency, agency_id, created_ms, "
            "updated_ms) VALUES (?, ?, ?, ?, ?, 0, 0)",
            office_rows,
        )
        con.executemany(
            "INSERT INTO devices (device_id, office_id, counter_label, created_ms, updated_ms) "
            "VALUES (?, ?, ?, 0, 0)",
            [(f"bd-{d:05d}", f"bo-{d // 2:05d}", str(d % 2 + 1)) for d in range(devices)],
        )
        for index in ("events_device_seq", "events_type_ts", "events_office_ts"):
            con.execute(f"DROP INDEX {index}")  # rebuilt after the load, the same indexes
        con.execute(
            f"""WITH RECURSIVE g(i) AS
                (SELECT 0 UNION ALL SELECT i + 1 FROM g WHERE i < {ratings - 1})
            INSERT INTO events (id, device_id, seq, type, ts_ms, received_ms, session, score,
                                scale, verified, body, office_id, counter_label, rollup_mark)
            SELECT printf('r%010d', i), printf('bd-%05d', i % {devices}), i / {devices} + 1,
                   'rating', t, t, NULL, 1 + abs(random()) % 5, 5, abs(random()) % 2, '{{}}',
                   printf('bo-%05d', (i % {devices}) / 2), CAST(i % {devices} % 2 + 1 AS TEXT), 1
            FROM (SELECT i, {START_MS} + ((d / 5) * 7 + d % 5) * {DAY_MS} + {OPEN_FROM_MS}
                            + abs(random()) % {OPEN_FOR_MS} AS t
                  FROM (SELECT i, abs(random()) % {WEEKS * 5} AS d FROM g))"""  # noqa: S608
        )
        con.execute("CREATE INDEX events_device_seq ON events (device_id, seq)")
        con.execute("CREATE INDEX events_type_ts ON events (type, ts_ms)")
        con.execute("CREATE INDEX events_office_ts ON events (office_id, ts_ms)")
        # The rollups in one statement, then their office-days, office-weeks and agency-hours by
        # one GROUP BY each: the state the triggers would leave, without 10 million firings.
        for trigger in ("insert", "update", "delete"):
            con.execute(f"DROP TRIGGER rating_office_days_{trigger}")
        for name in AGENCY_HOUR_ROLLUP_TRIGGER_NAMES["sqlite"]:
            con.execute(f"DROP TRIGGER {name}")
        con.execute(ROLLUP_SQL)
        con.execute(OFFICE_DAY_FILL)
        con.execute(OFFICE_WEEK_FILL)
        con.execute(AGENCY_HOUR_FILL)
        for statement in [*OFFICE_DAY_TRIGGERS, *AGENCY_HOUR_ROLLUP_TRIGGERS]:
            assert isinstance(statement, dict)
            if statement["sqlite"] != "SELECT 1":
                con.execute(statement["sqlite"])
        con.execute("ANALYZE")
        con.commit()
        con.execute("PRAGMA journal_mode = WAL")  # as the collector runs it
    finally:
        con.close()


ROLLUP_SQL = """INSERT INTO rating_rollups (office_id, device_id, hour_ms, scale, score, verified,
    n, counter_label)
    SELECT office_id, device_id, (ts_ms / 3600000) * 3600000, scale, score, verified, count(*),
           max(counter_label)
    FROM events WHERE type = 'rating'
    GROUP BY office_id, device_id, (ts_ms / 3600000) * 3600000, scale, score, verified"""


async def _postgres_generate(url: str, ratings: int, offices: int) -> None:
    devices = offices * 2
    con = await asyncpg.connect(url)
    try:
        await con.execute("SET synchronous_commit = off")
        await con.execute(
            f"INSERT INTO offices (office_id, name_th, name_en, agency, agency_id, created_ms, "  # noqa: S608
            f"updated_ms) SELECT 'bo-' || lpad(i::text, 5, '0'), 'สำนักงานทดสอบ ' || i, "
            f"'Bench office ' || i, '{AGENCY}', '{AGENCY}', 0, 0 "
            f"FROM generate_series(0, {offices - 1}) i"
        )
        await con.execute(
            f"INSERT INTO devices (device_id, office_id, counter_label, created_ms, updated_ms) "  # noqa: S608
            f"SELECT 'bd-' || lpad(d::text, 5, '0'), 'bo-' || lpad((d / 2)::text, 5, '0'), "
            f"(d % 2 + 1)::text, 0, 0 FROM generate_series(0, {devices - 1}) d"
        )
        for index in ("events_device_seq", "events_type_ts", "events_office_ts"):
            await con.execute(f"DROP INDEX {index}")
        await con.execute("SELECT setseed(0.42)")
        await con.execute(
            f"""INSERT INTO events (id, device_id, seq, type, ts_ms, received_ms, session, score,
                                   scale, verified, body, office_id, counter_label, rollup_mark)
            SELECT 'r' || lpad(i::text, 10, '0'), 'bd-' || lpad((i % {devices})::text, 5, '0'),
                   i / {devices} + 1, 'rating', t, t, NULL, 1 + floor(random() * 5)::int, 5,
                   floor(random() * 2)::int, '{{}}',
                   'bo-' || lpad(((i % {devices}) / 2)::text, 5, '0'),
                   (i % {devices} % 2 + 1)::text, 1
            FROM (SELECT i, {START_MS}::bigint + ((d / 5) * 7 + d % 5) * {DAY_MS}::bigint
                            + {OPEN_FROM_MS} + floor(random() * {OPEN_FOR_MS})::bigint AS t
                  FROM (SELECT i, floor(random() * {WEEKS * 5})::bigint AS d
                        FROM generate_series(0::bigint, {ratings - 1}::bigint) i) g) x"""  # noqa: S608
        )
        await con.execute("CREATE INDEX events_device_seq ON events (device_id, seq)")
        await con.execute("CREATE INDEX events_type_ts ON events (type, ts_ms)")
        await con.execute("CREATE INDEX events_office_ts ON events (office_id, ts_ms)")
        triggers = ["rating_office_days_sync", *AGENCY_HOUR_ROLLUP_TRIGGER_NAMES["postgres"]]
        for name in triggers:
            await con.execute(f"ALTER TABLE rating_rollups DISABLE TRIGGER {name}")
        await con.execute(ROLLUP_SQL)
        await con.execute(OFFICE_DAY_FILL)
        await con.execute(OFFICE_WEEK_FILL)
        await con.execute(AGENCY_HOUR_FILL)
        for name in triggers:
            await con.execute(f"ALTER TABLE rating_rollups ENABLE TRIGGER {name}")
        await con.execute("VACUUM ANALYZE")
    finally:
        await con.close()


# The plain SQL figures: raw events, no rollups (what a report without rollups would read).
EVENT_VALUE = "(1 + 4.0 * (score - 1) / (scale - 1))"
EV_HOUR = LOCAL_HOUR.replace("hour_ms", "ts_ms")
EV_WEEKDAY = WEEKDAY.replace("hour_ms", "ts_ms")


async def plain_heatmap(
    driver: Driver, office: str | None, start: int, end: int
) -> dict[tuple[int, int], int]:
    where = "office_id = ? AND " if office else ""
    args: list[Any] = [office] if office else []
    rows = await driver.fetch(
        f"SELECT {EV_WEEKDAY} AS weekday, {EV_HOUR} AS hour, count(*) AS n, "  # noqa: S608
        f"sum({EVENT_VALUE}) AS total FROM events WHERE {where}type = 'rating' "
        f"AND ts_ms >= ? AND ts_ms < ? GROUP BY {EV_WEEKDAY}, {EV_HOUR}",
        *args,
        start,
        end,
    )
    return {(int(r["weekday"]), int(r["hour"])): int(r["n"]) for r in rows}


async def plain_ranking(driver: Driver, start: int, end: int) -> dict[str, int]:
    rows = await driver.fetch(
        f"SELECT office_id, count(*) AS n, sum({EVENT_VALUE}) AS total FROM events "  # noqa: S608
        "WHERE type = 'rating' AND ts_ms >= ? AND ts_ms < ? GROUP BY office_id",
        start,
        end,
    )
    return {r["office_id"]: int(r["n"]) for r in rows}


def app_factory() -> Any:
    """The collector's app without MQTT ingest, on ``CF_DB_URL`` (uvicorn --factory)."""
    return create_app(Settings(), ingest=False)  # type: ignore[call-arg]


def percentiles(samples: list[float]) -> tuple[str, float]:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    text = f"p50 {statistics.median(ms):8.1f} ms  p95 {p95:8.1f} ms  max {ms[-1]:8.1f} ms"
    return text, p95


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def _api_cells(answer: dict[str, Any]) -> dict[tuple[int, int], int]:
    return {(c["weekday"], c["hour"]): c["n"] for c in answer["cells"] if c["n"]}


def _csv_counts(content: bytes) -> dict[str, int]:
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    header = lines.index(next(line for line in lines if line[:2] == ["rank", "office_id"]))
    return {row[1]: int(row[3]) for row in lines[header + 1 :] if row[3]}


def run_backend(db: str, label: str, args: argparse.Namespace) -> list[str]:
    settings = Settings(db_url=db)  # type: ignore[call-arg]

    async def schema() -> str:
        driver = await open_driver(settings)
        try:
            return await create_token(driver, Role.OPS, "bench")
        finally:
            await driver.close()

    token = asyncio.run(schema())
    t0 = time.perf_counter()
    if args.reuse and asyncio.run(_has_events(settings)):
        pass  # a database an earlier run generated (--sqlite-file / --postgres-url)
    elif db.startswith("postgresql://"):
        asyncio.run(_postgres_generate(db, args.ratings, args.offices))
    else:
        _sqlite_generate(db, args.ratings, args.offices)
    built = time.perf_counter() - t0

    async def counts() -> tuple[int, int]:
        driver = await open_driver(settings, run_migrations=False)
        try:
            events = await driver.fetchval("SELECT count(*) FROM events")
            rollups = await driver.fetchval("SELECT count(*) FROM rating_rollups")
            return int(events), int(rollups)
        finally:
            await driver.close()

    events, rollups = asyncio.run(counts())
    out = [
        f"[{label}] {events:,} ratings, {rollups:,} rollup rows, {args.offices} offices; "
        f"generated in {built:.0f} s"
    ]
    print(out[0], flush=True)
    if args.generate_only:
        return out

    # The last 30 days of the generated year (Thai dates).
    end_day = START_MS + WEEKS * 7 * DAY_MS
    start_ms, end_ms = end_day - 30 * DAY_MS, end_day
    period = {"from": "2025-12-06", "to": "2026-01-04"}
    port = free_port()
    server = subprocess.Popen(  # the app in its own process, as it runs in production
        [sys.executable, "-m", "uvicorn", "--factory", "tests.bench.bench_analytics:app_factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=REPO, env={**os.environ, "CF_DB_URL": db, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("bench_analytics: the app did not start") from None
            time.sleep(0.2)
    base = f"http://127.0.0.1:{port}/api/v1/analytics"
    loop = asyncio.new_event_loop()
    driver = loop.run_until_complete(open_driver(settings, run_migrations=False))
    rng = random.Random(args.seed)
    mismatches = 0
    lines: list[str] = []
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(timeout=120, headers=headers) as http:
            cases: list[
                tuple[str, Callable[[], Any], Callable[[], Any], Callable[[Any, Any], bool]]
            ]
            office = lambda: f"bo-{rng.randrange(args.offices):05d}"  # noqa: E731
            chosen: list[str] = []

            def api_office_heatmap() -> Any:
                chosen.append(office())
                r = http.get(f"{base}/heatmap", params={**period, "office_id": chosen[-1]})
                return _api_cells(r.json())

            cases = [
                (
                    "heatmap, one office",
                    api_office_heatmap,
                    lambda: loop.run_until_complete(
                        plain_heatmap(driver, chosen[-1], start_ms, end_ms)
                    ),
                    lambda a, b: {k: v for k, v in b.items() if v >= 5} == a,
                ),
                (
                    "heatmap, all 2,000 offices",
                    lambda: _api_cells(http.get(f"{base}/heatmap", params=period).json()),
                    lambda: loop.run_until_complete(plain_heatmap(driver, None, start_ms, end_ms)),
                    lambda a, b: {k: v for k, v in b.items() if v >= 5} == a,
                ),
                (
                    "ranking, all offices",
                    lambda: {
                        o["office_id"]: o["n"]
                        for o in http.get(f"{base}/ranking", params=period).json()["offices"]
                        if o["n"]
                    },
                    lambda: loop.run_until_complete(plain_ranking(driver, start_ms, end_ms)),
                    lambda a, b: {k: v for k, v in b.items() if v >= 5} == a,
                ),
                (
                    "export ranking CSV",
                    lambda: _csv_counts(
                        http.get(f"{base}/export", params={**period, "report": "ranking"}).content
                    ),
                    lambda: loop.run_until_complete(plain_ranking(driver, start_ms, end_ms)),
                    lambda a, b: {k: v for k, v in b.items() if v >= 5} == a,
                ),
            ]
            for name, api, plain, same in cases:
                api()  # warm the caches once
                plain()
                api_s, plain_s = [], []
                answers = []
                runs = args.heavy_queries if name.startswith("heatmap, all") else args.queries
                for i in range(runs):
                    dt, answer = timed(api)
                    api_s.append(dt)
                    if i < args.baseline_queries:
                        dt, figure = timed(plain)
                        plain_s.append(dt)
                        answers.append((answer, figure))
                mismatches += sum(1 for a, b in answers if not same(a, b))
                api_text, p95 = percentiles(api_s)
                plain_text, _ = percentiles(plain_s)
                verdict = "meets" if p95 <= TARGET_MS else "MISSES"
                target = f"({verdict} p95 <= {TARGET_MS:.0f} ms)"
                lines += [
                    f"[{label}] {name:27s} API       {api_text}  {target}",
                    f"[{label}] {name:27s} plain SQL {plain_text}  (raw events, n={len(plain_s)})",
                ]
                print(lines[-2], "\n" + lines[-1], flush=True)
    finally:
        loop.run_until_complete(driver.close())
        server.terminate()
        server.wait(timeout=20)
    lines.append(f"[{label}] answers differing from plain SQL: {mismatches}")
    print(lines[-1], flush=True)
    return out + lines


async def _has_events(settings: Settings) -> bool:
    driver = await open_driver(settings, run_migrations=False)
    try:
        return await driver.fetchval("SELECT count(*) FROM (SELECT 1 FROM events LIMIT 1) e") > 0
    finally:
        await driver.close()


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
        report = run_backend(args.sqlite_file or args.postgres_url, label, args)
        print("\n".join(["", "summary:", *report]))
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
