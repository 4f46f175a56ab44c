"""The benchmark's data, generated in SQL: ``ratings`` rating events as ingest stores them (office
and counter stamped, ``rollup_mark`` set) over one year of office hours (Monday-Friday
08:30-16:30 Thai time) at ``offices`` offices with two counter devices each, the hourly
``rating_rollups`` with the GROUP BY ingest and migration 6 use, and the report tables the
triggers keep from the rollups (``rating_office_days``, migration 9; ``rating_office_weeks`` and
``rating_agency_hours``, migration 10) filled by their migrations' GROUP BY instead of 10 million
trigger firings."""

from __future__ import annotations

import sqlite3

import asyncpg

from collector.config import Settings
from collector.storage import open_driver
from collector.storage.heatmap_schema import (
    AGENCY_HOUR_FILL,
    AGENCY_HOUR_ROLLUP_TRIGGER_NAMES,
    AGENCY_HOUR_ROLLUP_TRIGGERS,
    OFFICE_WEEK_FILL,
)
from collector.storage.managers_schema import OFFICE_DAY_FILL, OFFICE_DAY_TRIGGERS

START_MS = 1_736_096_400_000  # Monday 2025-01-06 00:00 Thai time
DAY_MS = 86_400_000
WEEKS = 52
AGENCY = "cm-mueang-chiang-mai-dopa"
# START_MS is a Thai midnight, so a time of day t after it is Thai local t: office hours
# 08:30-16:30 are 30,600,000 ms after it, for 28,800,000 ms.
OPEN_FROM_MS, OPEN_FOR_MS = 30_600_000, 28_800_000

ROLLUP_SQL = """INSERT INTO rating_rollups (office_id, device_id, hour_ms, scale, score, verified,
    n, counter_label)
    SELECT office_id, device_id, (ts_ms / 3600000) * 3600000, scale, score, verified, count(*),
           max(counter_label)
    FROM events WHERE type = 'rating'
    GROUP BY office_id, device_id, (ts_ms / 3600000) * 3600000, scale, score, verified"""


def sqlite_generate(path: str, ratings: int, offices: int) -> None:
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


async def postgres_generate(url: str, ratings: int, offices: int) -> None:
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


async def has_events(settings: Settings) -> bool:
    """Whether a kept database already holds generated ratings (then it is reused as it is)."""
    driver = await open_driver(settings, run_migrations=False)
    try:
        found = await driver.fetchval("SELECT count(*) FROM (SELECT 1 FROM events LIMIT 1) e")
        return bool(found > 0)
    finally:
        await driver.close()


async def stored_counts(settings: Settings) -> tuple[int, int]:
    """Rating events and rollup rows stored."""
    driver = await open_driver(settings, run_migrations=False)
    try:
        events = await driver.fetchval("SELECT count(*) FROM events")
        rollups = await driver.fetchval("SELECT count(*) FROM rating_rollups")
        return int(events), int(rollups)
    finally:
        await driver.close()
