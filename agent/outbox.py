"""The durable outbox: every event gets its seq and reaches the disk before anything else.

DESIGN.md rule 1. SQLite in WAL mode with ``synchronous=FULL``: :meth:`Outbox.append` assigns the
next seq and writes the event in ONE transaction, so after a crash an event either exists with
its seq or never existed, and a seq is never handed out twice (the counter lives in the same
transaction). Events leave only when the collector's ``acks`` cover them, or when the limits
force a drop, which is itself recorded as an ``outbox.dropped`` event naming the range.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.disk_reserve import DiskReserve
from agent.errors import OutboxError
from agent.wire import Envelope, OutboxDroppedBody, encode
from protocols.errors import ProtocolError
from protocols.plain import new_message_id, now

_LOGGER = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    created REAL NOT NULL,
    payload BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('last_seq', 0), ('acked_seq', 0), ('dropped_total', 0),
    ('bytes', 0), ('lost_total', 0);
"""

BuildEvent = Callable[[int], Any]
"""Given the seq the outbox assigns, return the event envelope carrying it: an
:class:`agent.wire.Envelope` (or a pydantic event of ``protocols``, which tests use)."""


@dataclass(frozen=True, slots=True)
class StoredEvent:
    seq: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class OutboxLimits:
    max_events: int = 1_000_000
    max_bytes: int = 512 * 1024 * 1024
    min_disk_free_bytes: int = 200 * 1024 * 1024


class Outbox:
    """A thread-safe store of unacknowledged events, ordered by seq."""

    DISK_CHECK_EVERY_S = 1.0

    def __init__(self, path: Path, device_id: str, limits: OutboxLimits | None = None) -> None:
        self._path = Path(path)
        self._device = device_id
        self._limits = limits or OutboxLimits()
        self._lock = threading.Lock()
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                str(self._path), isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            # Acknowledged events (visitor pseudonyms) are overwritten with zeros, not just
            # unlinked from the b-tree: a stolen device's file keeps nothing already delivered.
            self._db.execute("PRAGMA secure_delete=ON")
            # After a big drain the WAL file is truncated back to this size (bytes) on checkpoint.
            self._db.execute("PRAGMA journal_size_limit=8388608")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise OutboxError(f"outbox {self._path}: cannot open: {exc}") from exc
        self._last_seq = self._meta("last_seq")
        self._acked_seq = self._meta("acked_seq")
        self._bytes = self._meta("bytes")
        self._depth = int(self._db.execute("SELECT count(*) FROM events").fetchone()[0])
        self._disk_checked = -1e9
        self._disk_low = False
        self._lost = self._lost_saved = self._meta("lost_total")
        self.reserve = DiskReserve(self._path.with_name(self._path.name + ".reserve"))
        self.reserve.take()

    # -- reading ---------------------------------------------------------------------------
    def _meta(self, key: str) -> int:
        return int(self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()[0])

    @property
    def last_seq(self) -> int:
        return self._last_seq

    @property
    def acked_seq(self) -> int:
        return self._acked_seq

    @property
    def depth(self) -> int:
        return self._depth

    @property
    def dropped_total(self) -> int:
        with self._lock:
            return self._meta("dropped_total")

    @property
    def lost_total(self) -> int:
        """Events that could not be written at all (full disk, I/O error), ever."""
        return self._lost

    def oldest_age_s(self) -> float | None:
        """Seconds since the oldest event still waiting was written (wall clock), or None."""
        with self._lock:
            row = self._db.execute("SELECT created FROM events ORDER BY seq LIMIT 1").fetchone()
        return None if row is None else max(0.0, time.time() - float(row[0]))

    def read_from(self, seq: int, limit: int) -> list[StoredEvent]:
        """Up to ``limit`` waiting events with seq >= ``seq``, in seq order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, payload FROM events WHERE seq >= ? ORDER BY seq LIMIT ?",
                (seq, limit),
            ).fetchall()
        return [StoredEvent(int(s), bytes(p)) for s, p in rows]

    # -- writing ---------------------------------------------------------------------------
    def append(self, build: BuildEvent) -> Any:
        """Assign the next seq, build the event with it and commit both; return the event."""
        with self._lock:
            try:
                self._make_room()
                event = self._insert(build)
            except (OutboxError, ProtocolError) as exc:
                self._record_loss(exc)
                raise
            if self._lost != self._lost_saved:  # losses counted while the disk was full
                self._save_lost()
            return event

    def _save_lost(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("UPDATE meta SET value = ? WHERE key = 'lost_total'", (self._lost,))
            self._lost_saved = self._lost

    def _record_loss(self, exc: Exception) -> None:
        """Count an event that could not be written and declare it with an ``outbox.dropped``.

        The lost event is given the next seq (never written) and the ``outbox.dropped`` the one
        after, naming it, so the collector sees a declared gap rather than nothing. The disk
        reserve is released first so that this one write fits on a full disk (issue 13, defect 5).
        """
        self._lost += 1
        released = self.reserve.release()
        lost_seq = self._last_seq + 1
        body = OutboxDroppedBody(
            from_seq=lost_seq, to_seq=lost_seq, reason=f"outbox write failed: {exc}"[:200]
        )
        self._last_seq = lost_seq
        try:
            self._insert(self._dropped(body))
        except (OutboxError, ProtocolError) as second:
            self._last_seq = lost_seq - 1  # nothing names this seq: hand it out again
            _LOGGER.error(
                "outbox loss not declared: lost_total=%s reserve_released=%s error=%s",
                self._lost,
                released,
                second,
            )
            return
        self._save_lost()
        _LOGGER.error(
            "outbox event lost: seq=%s lost_total=%s reserve_released=%s error=%s",
            lost_seq,
            self._lost,
            released,
            exc,
        )

    def _insert(self, build: BuildEvent) -> Any:
        seq = self._last_seq + 1
        event = build(seq)
        payload = encode(event)
        kind = str(getattr(event, "type", "?"))
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT INTO events VALUES (?, ?, ?, ?, ?)",
                (seq, str(getattr(event, "id", "")), kind, time.time(), payload),
            )
            self._db.execute(
                "UPDATE meta SET value = CASE key WHEN 'last_seq' THEN ? ELSE value + ? END"
                " WHERE key IN ('last_seq', 'bytes')",
                (seq, len(payload)),
            )
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise OutboxError(f"outbox {self._path}: cannot write event: {exc}") from exc
        self._last_seq = seq
        self._depth += 1
        self._bytes += len(payload)
        return event

    def _rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("ROLLBACK")

    def ack(self, acked_seq: int) -> bool:
        """Apply the collector's ``acked_seq``; lower or equal values are ignored (it only grows).

        Returns True when it moved forward.
        """
        with self._lock:
            if acked_seq <= self._acked_seq:
                return False
            try:
                self._db.execute("BEGIN IMMEDIATE")
                freed, count = self._db.execute(
                    "SELECT coalesce(sum(length(payload)), 0), count(*) FROM events WHERE seq <= ?",
                    (acked_seq,),
                ).fetchone()
                self._db.execute("DELETE FROM events WHERE seq <= ?", (acked_seq,))
                self._db.execute(
                    "UPDATE meta SET value = CASE key WHEN 'acked_seq' THEN ? ELSE value - ? END"
                    " WHERE key IN ('acked_seq', 'bytes')",
                    (acked_seq, freed),
                )
                if acked_seq > self._last_seq:
                    # The collector has seqs this database never wrote (it was replaced):
                    # continue after them rather than reuse a seq.
                    _LOGGER.warning(
                        "acked_seq %s is beyond last_seq %s; continuing after it",
                        acked_seq,
                        self._last_seq,
                    )
                    self._db.execute(
                        "UPDATE meta SET value = ? WHERE key = 'last_seq'", (acked_seq,)
                    )
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise OutboxError(f"outbox {self._path}: cannot apply ack: {exc}") from exc
            self._acked_seq = acked_seq
            self._last_seq = max(self._last_seq, acked_seq)
            self._depth -= int(count)
            self._bytes -= int(freed)
            if self._depth == 0:
                self._truncate_wal()
            return True

    def _truncate_wal(self) -> None:
        """With nothing left to send, copy the zeroed pages home and empty the WAL file, which
        still holds the frames the deleted events were first written in (secure_delete)."""
        try:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            _LOGGER.warning("outbox %s: WAL checkpoint failed: %s", self._path, exc)

    # -- limits ----------------------------------------------------------------------------
    def _over_limit(self) -> str | None:
        if self._depth >= self._limits.max_events:
            return "max_events"
        if self._bytes >= self._limits.max_bytes:
            return "max_bytes"
        mono = time.monotonic()
        if mono - self._disk_checked >= self.DISK_CHECK_EVERY_S:
            self._disk_checked = mono
            try:
                free = shutil.disk_usage(self._path.parent).free
            except OSError:
                free = self._limits.min_disk_free_bytes
            self._disk_low = free < self._limits.min_disk_free_bytes
            self.reserve.take_if_room()
        return "disk_low" if self._disk_low and self._depth > 0 else None

    def _make_room(self) -> None:
        reason = self._over_limit()
        if reason is None:
            return
        # Drop a tenth at once so that one drop event does not follow every new event.
        count = max(1, self._depth // 10)
        rows = self._db.execute(
            "SELECT seq, type, payload FROM events ORDER BY seq LIMIT ?", (count,)
        ).fetchall()
        from_seq, to_seq = int(rows[0][0]), int(rows[-1][0])
        for _seq, kind, payload in rows:
            if kind == "outbox.dropped":  # keep earlier declared gaps declared
                earlier = json.loads(payload)["body"]["from_seq"]
                from_seq = min(from_seq, int(earlier))
        freed = sum(len(p) for _s, _k, p in rows)
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM events WHERE seq <= ?", (to_seq,))
            self._db.execute(
                "UPDATE meta SET value = CASE key WHEN 'bytes' THEN value - ? ELSE value + ? END"
                " WHERE key IN ('bytes', 'dropped_total')",
                (freed, len(rows)),
            )
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise OutboxError(f"outbox {self._path}: cannot drop events: {exc}") from exc
        self._depth -= len(rows)
        self._bytes -= freed
        _LOGGER.error(
            "outbox full (%s): dropped %s events, seq %s..%s", reason, len(rows), from_seq, to_seq
        )
        body = OutboxDroppedBody(from_seq=from_seq, to_seq=to_seq, reason=f"outbox {reason}")
        self._insert(self._dropped(body))

    def _dropped(self, body: OutboxDroppedBody) -> BuildEvent:
        message_id, ts = new_message_id(), now()
        return lambda seq: Envelope(id=message_id, device=self._device, ts=ts, seq=seq, body=body)

    def close(self) -> None:
        with self._lock:
            self._db.close()
