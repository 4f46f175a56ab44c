"""Migration 9 (issue 12, managers): offices keyed to agencies, counters on rollups, alerts.

* ``offices.agency_id``: the agency an office belongs to, as a key of ``agencies``. Until now
  scope compared the free-text ``agency`` with an agency's id or names on every request; the
  backfill resolves that text once with the same rule (:data:`OFFICE_AGENCY_SQL`), and
  ``registry_writes`` runs the same statement after each office write, so the two never drift.
  An office whose text names no agency gets NULL: only ops, technicians and tokens see it.
* ``rating_rollups.counter_label``: the counter label the device had when the hour's first rating
  was rolled up (web ratings, device id ``web:<label>``, carry it in the id).
* ``events_office_ts``: the raw reads per office (sessions, services, alert windows).
* ``office_alert_settings`` / ``office_alerts``: threshold alerts per office and their delivery.
* ``rating_office_days``: ratings per office and Thai day (n, sum of 1..5 values, verified),
  kept in step with ``rating_rollups`` by triggers, so every writer of rollups (ingest, the web
  form) feeds it; rankings and trends over thousands of offices read one row per office-day.
"""

from __future__ import annotations

OFFICE_AGENCY_MATCH = (
    "(SELECT a.agency_id FROM agencies a WHERE lower(offices.agency) IN "
    "(lower(a.agency_id), lower(a.name_th), lower(a.name_en), "
    "lower(a.name_th || ' (' || a.name_en || ')')) ORDER BY a.agency_id LIMIT 1)"
)
OFFICE_AGENCY_SQL = f"UPDATE offices SET agency_id = {OFFICE_AGENCY_MATCH} WHERE office_id = ?"  # noqa: S608
"""Resolve one office's free-text ``agency`` to ``agency_id`` (run after every office write)."""

MANAGERS_MIGRATION: list[str | dict[str, str]] = [
    "ALTER TABLE offices ADD COLUMN agency_id TEXT REFERENCES agencies (agency_id)",
    f"UPDATE offices SET agency_id = {OFFICE_AGENCY_MATCH}",  # noqa: S608 (a constant)
    "CREATE INDEX offices_agency_id ON offices (agency_id)",
    # Per-office reads of raw events (sessions, services, the alerts' 15-minute windows).
    "CREATE INDEX events_office_ts ON events (office_id, ts_ms)",
    "ALTER TABLE rating_rollups ADD COLUMN counter_label TEXT NOT NULL DEFAULT ''",
    """UPDATE rating_rollups SET counter_label = coalesce((SELECT d.counter_label FROM devices d
        WHERE d.device_id = rating_rollups.device_id), '')""",
    """CREATE TABLE office_alert_settings (
        office_id TEXT PRIMARY KEY,
        enabled INTEGER NOT NULL DEFAULT 1,
        min_ratings INTEGER NOT NULL,
        window_s INTEGER NOT NULL,
        negative_share REAL NOT NULL,
        quiet_s INTEGER NOT NULL,
        email TEXT NOT NULL DEFAULT '',
        webhook_url TEXT NOT NULL DEFAULT '',
        webhook_secret TEXT NOT NULL DEFAULT '',
        updated_ms BIGINT NOT NULL,
        updated_by TEXT NOT NULL
    )""",
    """CREATE TABLE office_alerts (
        alert_id TEXT PRIMARY KEY,
        office_id TEXT NOT NULL,
        fired_ms BIGINT NOT NULL,
        window_start_ms BIGINT NOT NULL,
        ratings INTEGER NOT NULL,
        negative INTEGER NOT NULL,
        email_state TEXT NOT NULL,
        webhook_state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX office_alerts_office ON office_alerts (office_id, fired_ms)",
]

_DAY = "(({r}.hour_ms + 25200000) / 86400000)"
_VALUE = "(1 + 4.0 * ({r}.score - 1) / ({r}.scale - 1))"


def _add(r: str, sign: str) -> str:
    """An upsert adding (``+``) or taking away (``-``) rollup row ``r`` (new/old) to its day."""
    day, value = _DAY.format(r=r), _VALUE.format(r=r)
    return (
        "INSERT INTO rating_office_days (office_id, day, n, total, verified) VALUES "  # noqa: S608
        f"({r}.office_id, {day}, {sign}{r}.n, {sign}{r}.n * {value}, "
        f"{sign}(CASE WHEN {r}.verified = 1 THEN {r}.n ELSE 0 END)) "
        "ON CONFLICT (office_id, day) DO UPDATE SET n = rating_office_days.n + excluded.n, "
        "total = rating_office_days.total + excluded.total, "
        "verified = rating_office_days.verified + excluded.verified"
    )


OFFICE_DAY_TRIGGERS: list[str | dict[str, str]] = [
    {
        "sqlite": "CREATE TRIGGER rating_office_days_insert AFTER INSERT ON rating_rollups "
        f"BEGIN {_add('new', '')}; END",
        "postgres": f"""CREATE FUNCTION rating_office_days_sync() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN {_add("old", "-")}; END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN {_add("new", "")}; END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql""",
    },
    {
        "sqlite": "CREATE TRIGGER rating_office_days_update AFTER UPDATE ON rating_rollups "
        f"BEGIN {_add('old', '-')}; {_add('new', '')}; END",
        "postgres": "CREATE TRIGGER rating_office_days_sync AFTER INSERT OR UPDATE OR DELETE "
        "ON rating_rollups FOR EACH ROW EXECUTE FUNCTION rating_office_days_sync()",
    },
    {
        "sqlite": "CREATE TRIGGER rating_office_days_delete AFTER DELETE ON rating_rollups "
        f"BEGIN {_add('old', '-')}; END",
        "postgres": "SELECT 1",
    },
]
OFFICE_DAY_FILL = (
    "INSERT INTO rating_office_days (office_id, day, n, total, verified) "
    "SELECT office_id, (hour_ms + 25200000) / 86400000, sum(n), "
    "sum(n * (1 + 4.0 * (score - 1) / (scale - 1))), "
    "sum(CASE WHEN verified = 1 THEN n ELSE 0 END) FROM rating_rollups "
    "GROUP BY office_id, (hour_ms + 25200000) / 86400000"
)
"""Fill ``rating_office_days`` from the rollups (the backfill; the triggers keep it after)."""

MANAGERS_MIGRATION += [
    """CREATE TABLE rating_office_days (
        office_id TEXT NOT NULL,
        day INTEGER NOT NULL,
        n BIGINT NOT NULL,
        total DOUBLE PRECISION NOT NULL,
        verified BIGINT NOT NULL,
        PRIMARY KEY (office_id, day)
    )""",
    "CREATE INDEX rating_office_days_day ON rating_office_days (day, office_id)",
    OFFICE_DAY_FILL,
    *OFFICE_DAY_TRIGGERS,
]
