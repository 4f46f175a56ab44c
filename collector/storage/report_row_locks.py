"""Locks, in one fixed order, the report rows the rollup triggers are about to update (PostgreSQL).

Each ``rating_rollups`` row an ingest batch upserts fires two row triggers (migrations 9 and 10)
that upsert, in this order, its office's ``rating_office_days`` row, its agency's
``rating_agency_hours`` row and its office's ``rating_office_weeks`` row. A batch of several
offices therefore locked office-day 1, agency-hour, office-week 1, office-day 2, ... and a
concurrent batch of the same agency (another worker of the shared subscription, other devices)
locked office-day 2 before the agency-hour: a deadlock, detected only after ``deadlock_timeout``
(1 s) and then retried by the batcher.

Before the rollup upsert, :func:`lock_report_rows` takes every one of those rows, creating the
missing ones with zero sums (the triggers add at least one rating to each in the same
transaction): all office-days sorted by key, then all agency-hours sorted, then all office-weeks
sorted. Every ingest transaction takes them in that order (after its devices' seq rows, sorted),
and so does a transaction that writes a single rollup row (the citizen web form), so none of
them waits in a cycle; the triggers then find their rows already locked. The keys are computed
with the triggers' own expressions (:mod:`collector.storage.heatmap_schema`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from collector.storage.driver import Tx
from collector.storage.heatmap_schema import THAI_DAY, THAI_HOUR, THAI_WEEK

_KEYS = "unnest(?::text[], ?::bigint[]) AS k(office_id, hour_ms)"
_DAY, _HOUR, _WEEK = THAI_DAY.format(r="k"), THAI_HOUR.format(r="k"), THAI_WEEK.format(r="k")

# A no-op update locks an existing row; an insert holds a new one until commit.
LOCK_STATEMENTS = (
    "INSERT INTO rating_office_days (office_id, day, n, total, verified) "  # noqa: S608
    f"SELECT DISTINCT k.office_id, {_DAY}, 0, 0, 0 FROM {_KEYS} ORDER BY 1, 2 "
    "ON CONFLICT (office_id, day) DO UPDATE SET n = rating_office_days.n",
    "INSERT INTO rating_agency_hours (agency_id, day, hour, n, total, verified) "  # noqa: S608
    f"SELECT DISTINCT coalesce(o.agency_id, ''), {_DAY}, {_HOUR}, 0, 0, 0 FROM {_KEYS} "
    "JOIN offices o ON o.office_id = k.office_id ORDER BY 1, 2, 3 "
    "ON CONFLICT (agency_id, day, hour) DO UPDATE SET n = rating_agency_hours.n",
    "INSERT INTO rating_office_weeks (office_id, week, n, total, verified) "  # noqa: S608
    f"SELECT DISTINCT k.office_id, {_WEEK}, 0, 0, 0 FROM {_KEYS} ORDER BY 1, 2 "
    "ON CONFLICT (office_id, week) DO UPDATE SET n = rating_office_weeks.n",
)


async def lock_report_rows(tx: Tx, rollups: Sequence[Sequence[Any]]) -> None:
    """Lock the report rows of ``rollups`` (rows of ``ROLLUP_UPSERT``: office id first, hour
    third), in the order every writer uses."""
    if not rollups:
        return
    offices = [r[0] for r in rollups]
    hours = [r[2] for r in rollups]
    for sql in LOCK_STATEMENTS:
        await tx.execute(sql, offices, hours)
