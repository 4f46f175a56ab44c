"""Writes a batch's events once, already carrying their office, counter label and rollup mark,
and adds the new ratings to ``rating_rollups`` with one upsert per rollup row of the batch.

This replaces inserting the events and then updating every new row (``UPDATE events SET
rollup_mark, office_id, counter_label``) and rolling up 500 ids at a time: since migration 9
indexes ``events (office_id, ts_ms)``, that update rewrote every index entry of every new event,
and each 500-id chunk upserted the same rollup rows again, each upsert firing the office-day
trigger on the same ``rating_office_days`` row. Measured on PostgreSQL with 2,000-event batches
(20 devices): 6,200 events/s with the old path, 9,800 without migration 9's trigger and index,
42,000 without any rollup (``collector/README.md``, "Ingest throughput").

The result is the same as the stamp-then-roll-up path it replaced: each new event gets
the office and counter label its device has *now* (NULL office for an unknown device, ``''`` in
the rollup), and each new rating is counted once. New rows are told from redelivered duplicates
by a random mark written with the insert (a duplicate keeps the mark of its first commit); on
PostgreSQL a concurrent worker's insert of the same id waits for the first commit and then skips
it, so every event is counted in the rollups exactly once.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from collector.records import EventRow
from collector.storage.driver import Tx
from collector.storage.report_row_locks import lock_report_rows

HOUR_MS = 3_600_000
_CHUNK = 500  # ids per statement: well under SQLite's and PostgreSQL's parameter limits

EVENT_COLUMNS = [
    ("id", "text"),
    ("device_id", "text"),
    ("seq", "bigint"),
    ("type", "text"),
    ("ts_ms", "bigint"),
    ("received_ms", "bigint"),
    ("session", "text"),
    ("score", "integer"),
    ("scale", "integer"),
    ("verified", "integer"),
    ("body", "text"),
    ("device_ts_ms", "bigint"),
    ("office_id", "text"),
    ("counter_label", "text"),
    ("rollup_mark", "bigint"),
]
ROLLUP_UPSERT = (
    "INSERT INTO rating_rollups (office_id, device_id, hour_ms, scale, score, verified, n, "
    "counter_label) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (office_id, device_id, hour_ms, "
    "scale, score, verified) DO UPDATE SET n = rating_rollups.n + excluded.n"
)

RollupKey = tuple[str, str, int, int, int, int]


async def _placements(tx: Tx, devices: list[str]) -> dict[str, tuple[Any, Any]]:
    """device -> (office_id, counter_label) as the registry has them now."""
    marks = ", ".join("?" for _ in devices)
    rows = await tx.fetch(
        f"SELECT device_id, office_id, counter_label FROM devices WHERE device_id IN ({marks})",  # noqa: S608
        *devices,
    )
    return {r["device_id"]: (r["office_id"], r["counter_label"]) for r in rows}


async def _new_ids(tx: Tx, ids: list[str], mark: int) -> set[str]:
    """Which of ``ids`` this transaction inserted (they carry its mark)."""
    new: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ", ".join("?" for _ in chunk)
        rows = await tx.fetch(
            f"SELECT id FROM events WHERE id IN ({marks}) AND rollup_mark = ?",  # noqa: S608
            *chunk,
            mark,
        )
        new.update(r["id"] for r in rows)
    return new


def rollup_rows(
    events: Sequence[EventRow], placements: dict[str, tuple[Any, Any]]
) -> list[tuple[Any, ...]]:
    """The batch's ratings summed per (office, device, hour, scale, score, verified)."""
    sums: dict[RollupKey, int] = {}
    labels: dict[RollupKey, str] = {}
    for e in events:
        if e.type != "rating" or e.score is None or e.scale is None:
            continue
        office, label = placements.get(e.device_id, (None, None))
        key = (
            office or "",
            e.device_id,
            e.ts_ms // HOUR_MS * HOUR_MS,
            e.scale,
            e.score,
            e.verified or 0,
        )
        sums[key] = sums.get(key, 0) + 1
        labels[key] = max(labels.get(key, ""), label or "")
    return [(*key, n, labels[key]) for key, n in sums.items()]


async def write_events(tx: Tx, events: Sequence[EventRow], *, row_locks: bool = False) -> int:
    """Insert ``events`` (deduplicated by id, the first of a batch wins) with their office,
    counter label and mark; roll up the new ratings; return how many were new. ``row_locks``
    (PostgreSQL): lock the report rows first, in the order every writer uses
    (:mod:`collector.storage.report_row_locks`)."""
    if not events:
        return 0
    placements = await _placements(tx, sorted({e.device_id for e in events}))
    mark = secrets.randbelow(2**62) + 1
    first: dict[str, EventRow] = {}
    for e in events:
        first.setdefault(e.id, e)
    rows = [(*e, *placements.get(e.device_id, (None, None)), mark) for e in first.values()]
    stored = await tx.insert_ignore("events", EVENT_COLUMNS, rows)
    if stored == len(first):
        new = list(first.values())
    else:  # redelivered duplicates among them: only the rows with this mark are new
        new_ids = await _new_ids(tx, list(first), mark)
        new = [e for e in first.values() if e.id in new_ids]
    rollups = rollup_rows(new, placements)
    if row_locks:
        await lock_report_rows(tx, rollups)
    await tx.executemany(ROLLUP_UPSERT, rollups)
    return stored
