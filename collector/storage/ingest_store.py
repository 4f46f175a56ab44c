"""Writes one ingest batch in one transaction: events (deduplicated by id), dead letters, seq
state, fleet state, locations and command results (events with their office and rollups:
:mod:`collector.storage.event_rows`); returns each device's acknowledged seq as
computed from the rows this very transaction commits.

Seqs beyond the bounds of :mod:`collector.storage.seq_tracker` are dead-lettered here (``seq_jump``,
``seq_gaps_full``) and not counted; the payload stored for them is the validated event re-encoded
(the raw bytes stay in the decoder). "Latest" heartbeat and state are the last *received*: a
device's clock orders nothing."""

from __future__ import annotations

import logging
import time

from collector.limits import IngestLimits
from collector.records import BatchResult, EventRow, IngestBatch
from collector.storage.dead_letters import write_dead_letters
from collector.storage.driver import Driver, Tx
from collector.storage.event_rows import write_events
from collector.storage.seq_refusals import refuse
from collector.storage.seq_tracker import SeqState, apply

_LOGGER = logging.getLogger(__name__)

DEFAULT_LIMITS = IngestLimits()
LOCATION_COLUMNS = [
    ("id", "text"),
    ("device_id", "text"),
    ("ts_ms", "bigint"),
    ("received_ms", "bigint"),
    ("lat", "float8"),
    ("lon", "float8"),
    ("source", "text"),
    ("accuracy_m", "float8"),
    ("hdop", "float8"),
    ("sats", "integer"),
    ("fix", "text"),
    ("samples", "integer"),
    ("spread_m", "float8"),
    ("device_ts_ms", "bigint"),
]
RESULT_COLUMNS = [
    ("id", "text"),
    ("device_id", "text"),
    ("command_id", "text"),
    ("ok", "integer"),
    ("detail", "text"),
    ("ts_ms", "bigint"),
    ("received_ms", "bigint"),
]


def _now_ms() -> int:
    return int(time.time() * 1000)


async def _load_seq_states(tx: Tx, driver: Driver, devices: list[str]) -> dict[str, SeqState]:
    """Lock (PostgreSQL) and read the seq state of ``devices``, creating missing rows."""
    await tx.insert_ignore("device_seq", [("device_id", "text")], [(d,) for d in devices])
    marks = ", ".join("?" for _ in devices)
    rows = await tx.fetch(
        f"SELECT device_id, max_seq FROM device_seq WHERE device_id IN ({marks}) "  # noqa: S608
        f"ORDER BY device_id{driver.for_update}",
        *devices,
    )
    states = {r["device_id"]: SeqState(int(r["max_seq"])) for r in rows}
    gaps = await tx.fetch(
        f"SELECT device_id, from_seq, to_seq FROM seq_gaps WHERE status = 'open' "  # noqa: S608
        f"AND device_id IN ({marks}) ORDER BY device_id, from_seq",
        *devices,
    )
    for g in gaps:
        states[g["device_id"]].gaps.append((int(g["from_seq"]), int(g["to_seq"])))
    return states


async def _write_seq(
    tx: Tx, batch: IngestBatch, result: BatchResult, driver: Driver, limits: IngestLimits
) -> set[str]:
    """Apply the batch's seqs; return the ids of events refused (dead-lettered, not stored)."""
    devices = sorted(batch.event_devices)
    refused_ids: set[str] = set()
    if not devices:
        return refused_ids
    states = await _load_seq_states(tx, driver, devices)
    received: dict[str, list[int]] = {d: [] for d in devices}
    by_device: dict[str, list[EventRow]] = {d: [] for d in devices}
    for event in batch.events:
        received[event.device_id].append(event.seq)
        by_device[event.device_id].append(event)
    for device, seqs in batch.rejected_seqs.items():
        received[device].extend(seqs)
    now = _now_ms()
    updates = []
    for device in devices:
        state = states[device]
        before = list(state.gaps)
        change = apply(
            state,
            received[device],
            batch.dropped.get(device, ()),
            max_jump=limits.seq_max_jump,
            max_gaps=limits.seq_max_open_gaps,
        )
        if change.refused or change.refused_ranges:
            refused_ids |= refuse(
                by_device[device],
                state=state,
                change=change,
                limits=limits,
                letters=result.refused_letters,
            )
        stored = sum(1 for e in by_device[device] if e.id not in refused_ids)
        lost = sum(b - a + 1 for a, b in change.lost)
        updates.append((state.max_seq, state.acked_seq, state.missing, lost, stored, now, device))
        if state.gaps != before:
            await tx.execute("DELETE FROM seq_gaps WHERE device_id = ? AND status = 'open'", device)
            await tx.executemany(
                "INSERT INTO seq_gaps (device_id, from_seq, to_seq, status, changed_ms) "
                "VALUES (?, ?, ?, 'open', ?)",
                [(device, a, b, now) for a, b in state.gaps],
            )
        if change.lost:
            await tx.insert_ignore(
                "seq_gaps",
                [
                    ("device_id", "text"),
                    ("from_seq", "bigint"),
                    ("to_seq", "bigint"),
                    ("status", "text"),
                    ("changed_ms", "bigint"),
                ],
                [(device, a, b, "lost", now) for a, b in change.lost],
            )
            result.lost[device] = change.lost
        if change.opened:
            result.gaps_opened[device] = change.opened
        result.acked[device] = state.acked_seq
    await tx.executemany(
        "UPDATE device_seq SET max_seq = ?, acked_seq = ?, missing = ?, lost = lost + ?, "
        "events = events + ?, updated_ms = ? WHERE device_id = ?",
        updates,
    )
    return refused_ids


async def _write_fleet(tx: Tx, batch: IngestBatch, driver: Driver) -> None:
    if not batch.seen:
        return
    rows = [(d, ms, ms, batch.seen_counts.get(d, 0)) for d, ms in sorted(batch.seen.items())]
    await tx.executemany(
        "INSERT INTO fleet_state (device_id, first_seen_ms, last_seen_ms, messages) "  # noqa: S608
        "VALUES (?, ?, ?, ?) ON CONFLICT (device_id) DO UPDATE SET "
        f"last_seen_ms = {driver.greatest}(fleet_state.last_seen_ms, excluded.last_seen_ms), "
        "messages = fleet_state.messages + excluded.messages",
        rows,
    )
    for hb in batch.heartbeats.values():
        await tx.execute(
            "UPDATE fleet_state SET heartbeat = ?, heartbeat_ts_ms = ?, "
            "heartbeat_received_ms = ?, sw_version = ?, "
            "outbox_rising = CASE WHEN outbox_depth IS NOT NULL AND outbox_depth < ? "
            "THEN outbox_rising + 1 WHEN outbox_depth IS NULL OR outbox_depth > ? "
            "OR 0 = ? THEN 0 ELSE outbox_rising END, outbox_depth = ? "
            "WHERE device_id = ? "
            "AND (heartbeat_received_ms IS NULL OR heartbeat_received_ms <= ?)",
            hb.body,
            hb.ts_ms,
            hb.received_ms,
            hb.sw_version,
            hb.outbox_depth,
            hb.outbox_depth,
            hb.outbox_depth,
            hb.outbox_depth,
            hb.device_id,
            hb.received_ms,
        )
    for st in batch.states.values():
        await tx.execute(
            "UPDATE fleet_state SET state = ?, state_ms = ?, "
            "sw_version = COALESCE(?, sw_version) WHERE device_id = ? "
            "AND (state_ms IS NULL OR state_ms <= ?)",
            st.state,
            st.received_ms,
            st.sw_version,
            st.device_id,
            st.received_ms,
        )


async def write_batch(
    driver: Driver, batch: IngestBatch, limits: IngestLimits = DEFAULT_LIMITS
) -> BatchResult:
    """Commit ``batch``; raises :class:`~collector.errors.TransientStorageError` to retry."""
    result = BatchResult()
    async with driver.transaction() as tx:
        refused_ids = await _write_seq(tx, batch, result, driver, limits)
        result.dead_lettered, suppressed = await write_dead_letters(
            tx, [*batch.dead_letters, *result.refused_letters], limits, _now_ms()
        )
        result.dead_letters_suppressed = suppressed
        await _write_fleet(tx, batch, driver)
        named = [(n, d) for d, n in sorted(suppressed.items(), key=str) if d is not None]
        await tx.executemany(
            "UPDATE fleet_state SET dead_letters_suppressed = dead_letters_suppressed + ? "
            "WHERE device_id = ?",
            named,
        )
        if batch.locations:
            await tx.insert_ignore(
                "locations",
                LOCATION_COLUMNS,
                [
                    (
                        r.id,
                        r.device_id,
                        r.ts_ms,
                        r.received_ms,
                        r.lat,
                        r.lon,
                        r.source,
                        r.accuracy_m,
                        r.hdop,
                        r.sats,
                        r.fix,
                        r.samples,
                        r.spread_m,
                        r.device_ts_ms,
                    )
                    for r in batch.locations
                ],
            )
            result.location_devices = {r.device_id for r in batch.locations}
        if batch.command_results:
            await tx.insert_ignore(
                "command_results",
                RESULT_COLUMNS,
                [
                    (r.id, r.device_id, r.command_id, r.ok, r.detail, r.ts_ms, r.received_ms)
                    for r in batch.command_results
                ],
            )
            await tx.executemany(
                "UPDATE commands SET result_ok = ?, result_detail = ?, result_ms = ? "
                "WHERE id = ? AND device_id = ?",
                [
                    (r.ok, r.detail, r.received_ms, r.command_id, r.device_id)
                    for r in batch.command_results
                ],
            )
        # Last: the rollups lock report rows every writer of the same office or agency-hour
        # needs (collector/storage/report_row_locks.py), held only for these and the commit.
        result.stored = await write_events(
            tx,
            [e for e in batch.events if e.id not in refused_ids],
            row_locks=driver.dialect == "postgres",
        )
        result.duplicates = len(batch.events) - len(refused_ids) - result.stored
    return result
