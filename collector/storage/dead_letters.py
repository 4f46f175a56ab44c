"""Dead letters at rest: truncated payload + SHA-256 + size, a quota per device, a retention.

A hostile or broken device must not fill the disk: each dead letter keeps at most
``dead_letter_payload_max`` bytes of its payload (the digest and the size identify the whole),
and a device (or the set of messages with no device) stores at most ``dead_letter_quota`` rows
per hour; the rest are counted (``fleet_state.dead_letters_suppressed``, ``cf_dead_letters_
suppressed``), never silently dropped. Events dead-lettered over the quota still count for their
seq (that bookkeeping is separate). Rows older than the retention are deleted by :func:`prune`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from collector.limits import IngestLimits
from collector.records import DeadLetter
from collector.storage.driver import Driver, Tx

DEAD_LETTER_COLUMNS = [
    ("message_id", "text"),
    ("device_id", "text"),
    ("topic", "text"),
    ("payload", "bytea"),
    ("payload_sha256", "text"),
    ("payload_bytes", "bigint"),
    ("code", "text"),
    ("reason", "text"),
    ("seq", "bigint"),
    ("received_ms", "bigint"),
]


async def _stored_recently(
    tx: Tx, devices: set[str | None], since_ms: int
) -> dict[str | None, int]:
    counts: dict[str | None, int] = {}
    named = sorted(d for d in devices if d is not None)
    if named:
        marks = ", ".join("?" for _ in named)
        rows = await tx.fetch(
            "SELECT device_id, count(*) AS n FROM dead_letters WHERE received_ms >= ? "  # noqa: S608
            f"AND device_id IN ({marks}) GROUP BY device_id",
            since_ms,
            *named,
        )
        counts.update({r["device_id"]: int(r["n"]) for r in rows})
    if None in devices:
        row = await tx.fetchrow(
            "SELECT count(*) AS n FROM dead_letters WHERE device_id IS NULL AND received_ms >= ?",
            since_ms,
        )
        counts[None] = int(row["n"]) if row is not None else 0
    return counts


async def write_dead_letters(
    tx: Tx, letters: Sequence[DeadLetter], limits: IngestLimits, now_ms: int
) -> tuple[int, dict[str | None, int]]:
    """Store ``letters`` within each device's quota; return (rows stored, suppressed per device)."""
    if not letters:
        return 0, {}
    since = now_ms - limits.dead_letter_quota_window_ms
    room = {
        device: max(0, limits.dead_letter_quota - n)
        for device, n in (await _stored_recently(tx, {d.device_id for d in letters}, since)).items()
    }
    rows = []
    suppressed: dict[str | None, int] = {}
    keep = limits.dead_letter_payload_max
    for d in letters:
        left = room.get(d.device_id, limits.dead_letter_quota)
        if left <= 0:
            suppressed[d.device_id] = suppressed.get(d.device_id, 0) + 1
            continue
        room[d.device_id] = left - 1
        digest = hashlib.sha256(d.payload).hexdigest()
        rows.append(
            (
                d.message_id,
                d.device_id,
                d.topic[:512],
                d.payload[:keep],
                digest,
                len(d.payload),
                d.code,
                d.reason[:500],
                d.seq,
                d.received_ms,
            )
        )
    stored = await tx.insert_ignore("dead_letters", DEAD_LETTER_COLUMNS, rows) if rows else 0
    return stored, suppressed


async def prune(driver: Driver, older_than_ms: int) -> int:
    """Delete dead letters received before ``older_than_ms``; return how many."""
    async with driver.transaction() as tx:
        return int(
            await tx.execute("DELETE FROM dead_letters WHERE received_ms < ?", older_than_ms)
        )
