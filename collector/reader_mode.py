"""``CF_ROLE=reader``: a collector that serves the API and pages from a read replica.

A reader opens the database without running migrations (a hot standby refuses every write; the
primary's collectors run them, or ``python -m collector migrate``), starts no MQTT subscriber, no
day-key delivery, no complaint forwarder and no alert task, records no token use, and answers
every write request 503 naming the mode (``api/read_only.py``). What it reads lags the primary by
the replica's replay delay; ``/readyz`` of a reader says how far (:func:`replica_status`).
"""

from __future__ import annotations

import logging
from typing import Any

from collector.errors import ConfigError
from collector.fleet import iso
from collector.storage import Driver
from collector.storage.schema import MIGRATIONS, schema_version

_LOGGER = logging.getLogger(__name__)

READER_REFUSAL = (
    "role: this collector runs with CF_ROLE=reader (read replica) and accepts no writes; "
    "send them to a collector on the primary database"
)


async def check_reader_schema(driver: Driver) -> None:
    """Refuse to serve from a database whose schema is older than this code's (a reader cannot
    migrate it); a newer one is fine, migrations only add."""
    needed = MIGRATIONS[-1][0]
    try:
        found = await schema_version(driver)
    except Exception as exc:  # sqlite3 or asyncpg: no schema_migrations table
        raise ConfigError(
            f"CF_ROLE=reader: the database has no collector schema ({type(exc).__name__}); "
            "run `python -m collector migrate` against the primary"
        ) from None
    if found < needed:
        raise ConfigError(
            f"CF_ROLE=reader: the database schema is at migration {found}, this collector needs "
            f"{needed}; run `python -m collector migrate` against the primary"
        )
    _LOGGER.info(
        "CF_ROLE=reader: serving reads only (schema at migration %s; no ingest, no migrations, "
        "no background writers; writes answered 503)",
        found,
    )


# Functions any role may call on a standby; pg_stat_wal_receiver shows its pid to any role (the
# status column only to pg_read_all_stats), so "a WAL receiver runs" needs no extra grant.
_REPLICA_SQL = (
    "SELECT pg_is_in_recovery() AS in_recovery, "
    "EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE pid IS NOT NULL) AS wal_receiver, "
    "CAST(extract(epoch FROM pg_last_xact_replay_timestamp()) * 1000 AS BIGINT) AS replayed_ms, "
    "CAST(extract(epoch FROM now() - pg_last_xact_replay_timestamp()) AS DOUBLE PRECISION) "
    "AS replay_age_s"
)


async def replica_status(driver: Driver) -> dict[str, Any] | None:
    """What a reader can tell of its standby: still in recovery (a hot standby), whether a WAL
    receiver runs (False: the primary is gone or unreachable, reads are stale), when the last
    replayed transaction committed on the primary and how long ago (grows on an idle primary
    too). None on SQLite (no replica)."""
    if driver.dialect != "postgres":
        return None
    row = (await driver.fetch(_REPLICA_SQL))[0]
    replayed_ms = row["replayed_ms"]
    age = row["replay_age_s"]
    return {
        "in_recovery": bool(row["in_recovery"]),
        "wal_receiver": bool(row["wal_receiver"]),
        "last_replayed_commit": iso(int(replayed_ms)) if replayed_ms is not None else None,
        "replay_age_s": round(float(age), 3) if age is not None else None,
    }
