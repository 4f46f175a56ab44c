"""Events keep their office; hourly rating rollups per device and office, kept at ingest.

Called inside the ingest transaction right after the events were inserted. Each new event gets
the office and counter label its device has *now* (a device moved later never moves its
history). New rows are told apart from redelivered duplicates by a random mark set with
``WHERE rollup_mark = 0``: on PostgreSQL a concurrent worker's insert of the same id waits for
the first commit, so each event is counted in the rollups exactly once.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from collector.storage.driver import Tx

HOUR_MS = 3_600_000
_CHUNK = 500  # ids per statement: well under SQLite's and PostgreSQL's parameter limits
_STAMP = (
    "UPDATE events SET rollup_mark = ?, "
    "office_id = (SELECT d.office_id FROM devices d WHERE d.device_id = events.device_id), "
    "counter_label = (SELECT d.counter_label FROM devices d WHERE d.device_id = events.device_id) "
)


async def stamp_and_roll_up(tx: Tx, event_ids: Sequence[str]) -> int:
    """Stamp office/counter on the new events among ``event_ids`` and add their ratings to the
    rollups; returns how many events were new."""
    mark = secrets.randbelow(2**62) + 1
    stamped = 0
    for start in range(0, len(event_ids), _CHUNK):
        chunk = list(event_ids[start : start + _CHUNK])
        marks = ", ".join("?" for _ in chunk)
        new = await tx.execute(
            _STAMP + f"WHERE rollup_mark = 0 AND id IN ({marks})",
            mark,
            *chunk,
        )
        if new:  # found by id (primary key): rollup_mark alone would scan the whole table
            await _roll_up(tx, mark, chunk, marks)
        stamped += new
    return stamped


async def _roll_up(tx: Tx, mark: int, chunk: list[str], marks: str) -> None:
    rows = await tx.fetch(
        "SELECT coalesce(office_id, '') AS office_id, device_id, "  # noqa: S608 (marks: "?, ?")
        "(ts_ms / 3600000) * 3600000 AS hour_ms, scale, score, verified, count(*) AS n, "
        "coalesce(max(counter_label), '') AS counter_label "
        f"FROM events WHERE id IN ({marks}) AND rollup_mark = ? "
        "AND type = 'rating' AND score IS NOT NULL "
        "GROUP BY coalesce(office_id, ''), device_id, (ts_ms / 3600000) * 3600000, "
        "scale, score, verified",
        *chunk,
        mark,
    )
    if rows:
        await tx.executemany(
            "INSERT INTO rating_rollups (office_id, device_id, hour_ms, scale, score, verified, "
            "n, counter_label) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (office_id, "
            "device_id, hour_ms, scale, score, verified) "
            "DO UPDATE SET n = rating_rollups.n + excluded.n",
            [
                (
                    r["office_id"],
                    r["device_id"],
                    int(r["hour_ms"]),
                    r["scale"],
                    r["score"],
                    int(r["verified"] or 0),
                    int(r["n"]),
                    r["counter_label"],
                )
                for r in rows
            ],
        )
