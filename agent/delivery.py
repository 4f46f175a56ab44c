"""Moves events from the outbox to the broker: in seq order, windowed, republished until acked.

The broker's PUBACK only frees a slot in the in-flight window; the event stays in the outbox
until the collector's ``acks`` cover it (DESIGN.md rule 1). An event PUBACKed but not covered
within ``republish_after_s`` is sent again from the lowest unacknowledged seq, with the same
id and seq (the payload is the stored bytes). Paho's callbacks only record what happened
(:meth:`puback`, :meth:`acked`): the work happens in :meth:`pump`, outside paho's locks, so a
publish from another thread can never deadlock against a callback.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Protocol

from agent.clock import Clock
from agent.outbox import Outbox

_LOGGER = logging.getLogger(__name__)

READ_BATCH = 500


class EventTransport(Protocol):
    def publish_event(self, payload: bytes) -> int | None:
        """Hand one event to the broker connection; return the MQTT message id, or None when
        not connected."""
        ...


class Delivery:
    """The in-flight window between the outbox and one MQTT connection."""

    def __init__(
        self, outbox: Outbox, clock: Clock, *, window: int, republish_after_s: float
    ) -> None:
        if not 1 <= window <= 60000:
            raise ValueError("window must be 1..60000 (MQTT packet ids are 16-bit)")
        self._outbox = outbox
        self._clock = clock
        self.window = window
        self.republish_after_s = republish_after_s
        self._lock = threading.Lock()
        self._transport: EventTransport | None = None
        self._cursor = 0
        self._inflight: dict[int, int] = {}  # MQTT mid -> seq
        self._pubacked: deque[tuple[int, float]] = deque()  # (seq, when) in PUBACK order
        self._pubacks: deque[tuple[int, bool]] = deque()  # recorded by the paho thread
        self._acked_seen = 0
        self._pending_ack = 0
        self.published = 0
        self.republished_rounds = 0

    # -- recorded from paho callbacks (no lock, no work) ------------------------------------
    def puback(self, mid: int, ok: bool) -> None:
        self._pubacks.append((mid, ok))

    def acked(self, acked_seq: int) -> None:
        self._pending_ack = max(self._pending_ack, acked_seq)

    # -- connection ------------------------------------------------------------------------
    def connected(self, transport: EventTransport) -> None:
        with self._lock:
            self._transport = transport
            self._inflight.clear()
            self._pubacks.clear()
            self._pubacked.clear()
            self._cursor = self._outbox.acked_seq + 1

    def disconnected(self) -> None:
        with self._lock:
            self._transport = None
            self._inflight.clear()
            self._pubacks.clear()

    @property
    def in_flight(self) -> int:
        return len(self._inflight)

    # -- the work --------------------------------------------------------------------------
    def pump(self) -> None:
        """Apply PUBACKs and acks, republish what waited too long, fill the window."""
        with self._lock:
            self._apply_pubacks()
            self._apply_ack()
            if self._transport is None:
                return
            self._check_republish()
            self._fill()

    def _apply_pubacks(self) -> None:
        t = self._clock.monotonic()
        while self._pubacks:
            mid, ok = self._pubacks.popleft()
            seq = self._inflight.pop(mid, None)
            if seq is None:
                continue
            if not ok:
                _LOGGER.warning("broker refused event seq %s; it will be republished", seq)
            self._pubacked.append((seq, t))

    def _apply_ack(self) -> None:
        acked = self._pending_ack
        if acked <= self._acked_seen:
            return
        self._acked_seen = acked
        self._outbox.ack(acked)
        while self._pubacked and self._pubacked[0][0] <= acked:
            self._pubacked.popleft()
        self._cursor = max(self._cursor, self._outbox.acked_seq + 1)

    def _check_republish(self) -> None:
        if not self._pubacked:
            return
        seq, when = self._pubacked[0]
        if seq <= self._outbox.acked_seq:
            self._pubacked.popleft()
            return
        if self._clock.monotonic() - when < self.republish_after_s:
            return
        first = self._outbox.acked_seq + 1
        _LOGGER.warning(
            "events from seq %s not acknowledged by the collector within %.0f s: republishing",
            first,
            self.republish_after_s,
        )
        self.republished_rounds += 1
        self._pubacked.clear()
        self._cursor = min(self._cursor, first)

    def _fill(self) -> None:
        transport = self._transport
        assert transport is not None
        while len(self._inflight) < self.window:
            if self._cursor > self._outbox.last_seq:
                return  # everything written has been handed over: no query needed
            room = min(READ_BATCH, self.window - len(self._inflight))
            batch = self._outbox.read_from(self._cursor, room)
            if not batch:
                return
            for stored in batch:
                mid = transport.publish_event(stored.payload)
                if mid is None:
                    return
                self._inflight[mid] = stored.seq
                self._cursor = stored.seq + 1
                self.published += 1
