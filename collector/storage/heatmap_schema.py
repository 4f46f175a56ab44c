"""Migration 10 (issue 12): ratings per agency, Thai day and hour, for heat-maps over many offices.

The hourly rollups are per device and hour and barely compress (10 M ratings, 2,000 offices:
9.5 M rows); a heat-map of every office in an agency summed them all. ``rating_agency_hours``
holds one row per agency (``''`` for offices without one), Thai day and Thai hour: n, the sum of
1..5 values and the verified count. A report period is whole Thai days, so a heat-map over every
office of an agency (ops: of every agency) reads days × hours rows and is exact. A scope that
covers only part of an agency (a manager's offices) reads that part from the rollups.

Kept by triggers, as ``rating_office_days`` (migration 9), so every writer is covered:

* on ``rating_rollups`` (ingest, the web form's ``web:<counter>`` rows, deletes): the row is
  added to (or taken from) the agency its office has *now*; rows whose office is not in
  ``offices`` (a device without an office: ``''``) belong to no agency and no report;
* on ``offices``: an office created, deleted, or moved to another agency carries its whole
  history (its rollups) along, because scope is decided by the office's agency at report time.

``rating_office_weeks`` (per office and Thai week, Monday to Sunday; week = (day + 3) / 7) is
kept the same way from the rollups: a ranking over 2,000 offices reads whole weeks from it and
only the days at the period's edges from ``rating_office_days`` (migration 9), about a third of
the rows for 30 days and far fewer for longer periods.
"""

from __future__ import annotations

THAI_DAY = "(({r}.hour_ms + 25200000) / 86400000)"
THAI_HOUR = "((({r}.hour_ms + 25200000) / 3600000) % 24)"
_VALUE = "(1 + 4.0 * ({r}.score - 1) / ({r}.scale - 1))"
_UPSERT = (
    " ON CONFLICT (agency_id, day, hour) DO UPDATE SET n = rating_agency_hours.n + excluded.n, "
    "total = rating_agency_hours.total + excluded.total, "
    "verified = rating_agency_hours.verified + excluded.verified"
)
_INTO = "INSERT INTO rating_agency_hours (agency_id, day, hour, n, total, verified) "
THAI_WEEK = "(({r}.hour_ms + 25200000) / 86400000 + 3) / 7"  # Thai week, Monday first
_WEEK_UPSERT = (
    " ON CONFLICT (office_id, week) DO UPDATE SET n = rating_office_weeks.n + excluded.n, "
    "total = rating_office_weeks.total + excluded.total, "
    "verified = rating_office_weeks.verified + excluded.verified"
)


def _rollup(r: str, n: str) -> str:
    """Add ``n`` ratings of rollup row ``r`` (new/old) to its office's agency; ``n`` is an SQL
    expression (``new.n``, ``-old.n``, ``new.n - old.n``)."""
    day, hour, value = THAI_DAY.format(r=r), THAI_HOUR.format(r=r), _VALUE.format(r=r)
    return (
        f"{_INTO}SELECT coalesce(o.agency_id, ''), {day}, {hour}, {n}, ({n}) * {value}, "  # noqa: S608
        f"CASE WHEN {r}.verified = 1 THEN {n} ELSE 0 END "
        f"FROM offices o WHERE o.office_id = {r}.office_id{_UPSERT}"
    )


def _week(r: str, n: str) -> str:
    """Add ``n`` ratings of rollup row ``r`` to its office's Thai week (any office id, as
    ``rating_office_days`` does)."""
    week, value = THAI_WEEK.format(r=r), _VALUE.format(r=r)
    return (
        "INSERT INTO rating_office_weeks (office_id, week, n, total, verified) VALUES "  # noqa: S608
        f"({r}.office_id, {week}, {n}, ({n}) * {value}, "
        f"CASE WHEN {r}.verified = 1 THEN {n} ELSE 0 END){_WEEK_UPSERT}"
    )


def _both(r: str, n: str) -> str:
    return f"{_rollup(r, n)}; {_week(r, n)}"


def _office(o: str, sign: str) -> str:
    """Add (``+``) or take away (``-``) every rollup of office ``o`` (new/old) to its agency."""
    day, hour, value = THAI_DAY.format(r="r"), THAI_HOUR.format(r="r"), _VALUE.format(r="r")
    return (
        f"{_INTO}SELECT coalesce({o}.agency_id, ''), {day}, {hour}, {sign}sum(r.n), "  # noqa: S608
        f"{sign}sum(r.n * {value}), {sign}sum(CASE WHEN r.verified = 1 THEN r.n ELSE 0 END) "
        f"FROM rating_rollups r WHERE r.office_id = {o}.office_id GROUP BY {day}, {hour}"
        f"{_UPSERT}"
    )


# An upsert of a rollup (same key, more ratings) is the common update: one delta upsert.
_SAME_KEY = " AND ".join(
    f"old.{c} = new.{c}" for c in ("office_id", "hour_ms", "scale", "score", "verified")
)
_MOVED = (
    "old.office_id IS NOT new.office_id "
    "OR coalesce(old.agency_id, '') IS NOT coalesce(new.agency_id, '')"
)
_MOVED_PG = _MOVED.replace("IS NOT", "IS DISTINCT FROM")


def _pg_function(name: str, first: str, take_old: str, add_new: str) -> str:
    """A PostgreSQL row trigger function: ``first`` (a shortcut), then take the old row away
    (UPDATE, DELETE) and add the new one (INSERT, UPDATE)."""
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN {first} "
        f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {take_old}; END IF; "
        f"IF TG_OP IN ('INSERT', 'UPDATE') THEN {add_new}; END IF; "
        "RETURN NULL; END $$ LANGUAGE plpgsql"
    )


AGENCY_HOUR_ROLLUP_TRIGGERS: list[str | dict[str, str]] = [
    {
        "sqlite": "CREATE TRIGGER rating_sums_insert AFTER INSERT ON rating_rollups "
        f"BEGIN {_both('new', 'new.n')}; END",
        "postgres": _pg_function(
            "rating_sums_sync",
            f"IF TG_OP = 'UPDATE' AND {_SAME_KEY} THEN {_both('new', 'new.n - old.n')}; "
            "RETURN NULL; END IF;",
            _both("old", "-old.n"),
            _both("new", "new.n"),
        ),
    },
    {
        "sqlite": "CREATE TRIGGER rating_sums_upsert AFTER UPDATE ON rating_rollups "
        f"WHEN {_SAME_KEY} BEGIN {_both('new', 'new.n - old.n')}; END",
        "postgres": "CREATE TRIGGER rating_sums_sync AFTER INSERT OR UPDATE OR DELETE "
        "ON rating_rollups FOR EACH ROW EXECUTE FUNCTION rating_sums_sync()",
    },
    {
        "sqlite": "CREATE TRIGGER rating_sums_rekey AFTER UPDATE ON rating_rollups "
        f"WHEN NOT ({_SAME_KEY}) "
        f"BEGIN {_both('old', '-old.n')}; {_both('new', 'new.n')}; END",
        "postgres": "SELECT 1",
    },
    {
        "sqlite": "CREATE TRIGGER rating_sums_delete AFTER DELETE ON rating_rollups "
        f"BEGIN {_both('old', '-old.n')}; END",
        "postgres": "SELECT 1",
    },
]
"""Triggers on ``rating_rollups`` (a bulk load may drop them, fill, and create them again)."""

AGENCY_HOUR_ROLLUP_TRIGGER_NAMES = {
    "sqlite": [
        "rating_sums_insert",
        "rating_sums_upsert",
        "rating_sums_rekey",
        "rating_sums_delete",
    ],
    "postgres": ["rating_sums_sync"],
}

_OFFICE_TRIGGERS: list[str | dict[str, str]] = [
    {
        "sqlite": "CREATE TRIGGER rating_agency_hours_office_insert AFTER INSERT ON offices "
        f"BEGIN {_office('new', '')}; END",
        "postgres": _pg_function(
            "rating_agency_hours_office",
            f"IF TG_OP = 'UPDATE' AND NOT ({_MOVED_PG}) THEN RETURN NULL; END IF;",
            _office("old", "-"),
            _office("new", ""),
        ),
    },
    {
        "sqlite": "CREATE TRIGGER rating_agency_hours_office_update AFTER UPDATE ON offices "
        f"WHEN {_MOVED} BEGIN {_office('old', '-')}; {_office('new', '')}; END",
        "postgres": "CREATE TRIGGER rating_agency_hours_office AFTER INSERT OR UPDATE OR DELETE "
        "ON offices FOR EACH ROW EXECUTE FUNCTION rating_agency_hours_office()",
    },
    {
        "sqlite": "CREATE TRIGGER rating_agency_hours_office_delete AFTER DELETE ON offices "
        f"BEGIN {_office('old', '-')}; END",
        "postgres": "SELECT 1",
    },
]

_FILL_DAY, _FILL_HOUR, _FILL_VALUE = (
    THAI_DAY.format(r="r"),
    THAI_HOUR.format(r="r"),
    _VALUE.format(r="r"),
)
OFFICE_WEEK_FILL = (
    "INSERT INTO rating_office_weeks (office_id, week, n, total, verified) "
    "SELECT office_id, (day + 3) / 7, sum(n), sum(total), sum(verified) FROM rating_office_days "
    "GROUP BY office_id, (day + 3) / 7"
)
"""Fill ``rating_office_weeks`` from the office-days (the same sums, a coarser key)."""

AGENCY_HOUR_FILL = (
    f"{_INTO}SELECT coalesce(o.agency_id, ''), {_FILL_DAY}, {_FILL_HOUR}, sum(r.n), "  # noqa: S608
    f"sum(r.n * {_FILL_VALUE}), sum(CASE WHEN r.verified = 1 THEN r.n ELSE 0 END) "
    "FROM rating_rollups r JOIN offices o ON o.office_id = r.office_id "
    f"GROUP BY coalesce(o.agency_id, ''), {_FILL_DAY}, {_FILL_HOUR}"
)
"""Fill ``rating_agency_hours`` from the rollups (the backfill; the triggers keep it after)."""

HEATMAP_MIGRATION: list[str | dict[str, str]] = [
    """CREATE TABLE rating_agency_hours (
        agency_id TEXT NOT NULL,
        day INTEGER NOT NULL,
        hour INTEGER NOT NULL,
        n BIGINT NOT NULL,
        total DOUBLE PRECISION NOT NULL,
        verified BIGINT NOT NULL,
        PRIMARY KEY (agency_id, day, hour)
    )""",
    AGENCY_HOUR_FILL,
    """CREATE TABLE rating_office_weeks (
        office_id TEXT NOT NULL,
        week INTEGER NOT NULL,
        n BIGINT NOT NULL,
        total DOUBLE PRECISION NOT NULL,
        verified BIGINT NOT NULL,
        PRIMARY KEY (office_id, week)
    )""",
    OFFICE_WEEK_FILL,
    *AGENCY_HOUR_ROLLUP_TRIGGERS,
    *_OFFICE_TRIGGERS,
]
