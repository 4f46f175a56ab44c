"""Migration 9 (issue 12, managers): offices keyed to agencies, counters on rollups, alerts.

* ``offices.agency_id``: the agency an office belongs to, as a key of ``agencies``. Until now
  scope compared the free-text ``agency`` with an agency's id or names on every request; the
  backfill resolves that text once with the same rule (:data:`OFFICE_AGENCY_SQL`), and
  ``registry_writes`` runs the same statement after each office write, so the two never drift.
  An office whose text names no agency gets NULL: only ops, technicians and tokens see it.
* ``rating_rollups.counter_label``: the counter label the device had when the hour's first rating
  was rolled up (web ratings, device id ``web:<label>``, carry it in the id).
* ``office_alert_settings`` / ``office_alerts``: threshold alerts per office and their delivery.
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
