"""``CF_ROLE=reader``: a collector that serves the API and pages from a read replica.

A reader opens the database without running migrations (a hot standby refuses every write; the
primary's collectors run them, or ``python -m collector migrate``), starts no MQTT subscriber, no
day-key delivery, no complaint forwarder and no alert task, records no token use, and answers
every write request 503 naming the mode (``api/read_only.py``). What it reads lags the primary by
the replica's replay delay.
"""

from __future__ import annotations

import logging

from collector.errors import ConfigError
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
