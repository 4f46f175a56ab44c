"""Migration 5: the service catalogue (collector/services), kept here out of schema.py's way.

Search has one dialect-specific statement each: SQLite gets an FTS5 table with the trigram
tokenizer (kept in step with ``services`` and ``offices`` by triggers), PostgreSQL gets
``pg_trgm`` GIN indexes on the same lower-cased text. Both find Thai text without word spaces.
"""

from __future__ import annotations

# (table, kind, key column, searchable text of a row ``{r}``)
_FTS_TRIGGERS = (
    (
        "services",
        "service",
        "service_id",
        "{r}.name_th || ' ' || {r}.name_en || ' ' || {r}.agency_th",
    ),
    ("offices", "office", "office_id", "{r}.name_th || ' ' || {r}.name_en || ' ' || {r}.agency"),
)


def _sqlite_triggers() -> list[str | dict[str, str]]:
    out: list[str | dict[str, str]] = []
    for table, kind, key, text in _FTS_TRIGGERS:
        insert = (
            f"INSERT INTO catalogue_fts (kind, ref, body) "  # noqa: S608 (constants above)
            f"VALUES ('{kind}', new.{key}, {text.format(r='new')})"
        )
        delete = f"DELETE FROM catalogue_fts WHERE kind = '{kind}' AND ref = old.{key}"  # noqa: S608
        for event, body in (
            ("INSERT", insert),
            ("UPDATE", f"{delete}; {insert}"),
            ("DELETE", delete),
        ):
            name = f"{table}_fts_{event.lower()}"
            sql = f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {body}; END"
            out.append({"sqlite": sql, "postgres": "SELECT 1"})
        out.append(
            {
                "sqlite": f"INSERT INTO catalogue_fts (kind, ref, body) SELECT '{kind}', {key}, "  # noqa: S608
                f"{text.format(r=table)} FROM {table}",
                "postgres": "SELECT 1",
            }
        )
    return out


SERVICES_MIGRATION: list[str | dict[str, str]] = [
    """CREATE TABLE services (
        service_id TEXT PRIMARY KEY,
        name_th TEXT NOT NULL,
        name_en TEXT NOT NULL,
        agency_th TEXT NOT NULL DEFAULT '',
        agency_en TEXT NOT NULL DEFAULT '',
        legal_basis TEXT NOT NULL DEFAULT '',
        conditions TEXT NOT NULL DEFAULT '',
        steps TEXT NOT NULL DEFAULT '[]',
        duration TEXT,
        duration_minutes INTEGER,
        fee_thb DOUBLE PRECISION,
        fee_text TEXT NOT NULL DEFAULT '',
        forms TEXT NOT NULL DEFAULT '[]',
        complaint_channels TEXT NOT NULL DEFAULT '[]',
        sources TEXT NOT NULL DEFAULT '[]',
        notes TEXT NOT NULL DEFAULT '',
        created_ms BIGINT NOT NULL,
        updated_ms BIGINT NOT NULL
    )""",
    """CREATE TABLE service_documents (
        service_id TEXT NOT NULL REFERENCES services (service_id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        name_th TEXT NOT NULL,
        name_en TEXT NOT NULL DEFAULT '',
        issuer TEXT NOT NULL DEFAULT '',
        originals INTEGER,
        copies INTEGER,
        copy_required INTEGER,
        notes TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (service_id, position)
    )""",
    """CREATE TABLE office_services (
        office_id TEXT NOT NULL REFERENCES offices (office_id),
        service_id TEXT NOT NULL REFERENCES services (service_id),
        counters TEXT NOT NULL DEFAULT '[]',
        copies_demanded TEXT NOT NULL DEFAULT '[]',
        copies_made_free INTEGER,
        updated_ms BIGINT NOT NULL,
        PRIMARY KEY (office_id, service_id)
    )""",
    "CREATE INDEX office_services_service ON office_services (service_id, office_id)",
    """CREATE TABLE office_hours (
        office_id TEXT NOT NULL REFERENCES offices (office_id),
        service_id TEXT NOT NULL DEFAULT '',
        weekday INTEGER NOT NULL,
        opens_min INTEGER NOT NULL,
        closes_min INTEGER NOT NULL,
        PRIMARY KEY (office_id, service_id, weekday, opens_min)
    )""",
    "CREATE INDEX offices_lat_lon ON offices (lat, lon)",
    # consolidated GPS fixes (protocol: location body ``samples``, ``spread_m``; collector/pins.py)
    "ALTER TABLE locations ADD COLUMN samples INTEGER",
    "ALTER TABLE locations ADD COLUMN spread_m DOUBLE PRECISION",
    "CREATE INDEX office_pins_lat_lon ON office_pins (lat, lon)",
    {
        "sqlite": "CREATE VIRTUAL TABLE catalogue_fts USING fts5("
        "kind UNINDEXED, ref UNINDEXED, body, tokenize = 'trigram')",
        "postgres": "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    },
    {
        "sqlite": "SELECT 1",
        "postgres": "CREATE INDEX services_trgm ON services USING gin "
        "((lower(name_th || ' ' || name_en || ' ' || agency_th)) gin_trgm_ops)",
    },
    {
        "sqlite": "SELECT 1",
        "postgres": "CREATE INDEX offices_trgm ON offices USING gin "
        "((lower(name_th || ' ' || name_en || ' ' || agency)) gin_trgm_ops)",
    },
    *_sqlite_triggers(),
]
