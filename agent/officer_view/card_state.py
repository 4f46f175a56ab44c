"""What the officer view shows right now: the card's details, in memory only, or why not.

Implements :class:`agent.card.details.CardDetailsListener`. Every change bumps ``version`` (the
page re-renders, a copy must name the version it saw). Removal of the card, a failed read or
``clear_after_s`` without removal drop the details: the only reference is released here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from agent.card.details import CardDetails

ViewState = Literal["idle", "reading", "shown", "failed", "timed_out"]


@dataclass(frozen=True, slots=True)
class Snapshot:
    version: int
    state: ViewState
    fault: str | None
    details: CardDetails | None


class CardState:
    def __init__(self, clear_after_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clear_after_s = clear_after_s
        self._clock = clock
        self._lock = threading.Lock()
        self._version = 0
        self._state: ViewState = "idle"
        self._fault: str | None = None
        self._details: CardDetails | None = None
        self._shown_at = 0.0
        self.changed = threading.Condition(self._lock)

    def _set(self, state: ViewState, fault: str | None, details: CardDetails | None) -> None:
        self._version += 1
        self._state, self._fault, self._details = state, fault, details
        self.changed.notify_all()

    # -- CardDetailsListener ---------------------------------------------------------------
    def details_reading(self) -> None:
        with self._lock:
            self._set("reading", None, None)

    def details_read(self, details: CardDetails) -> None:
        with self._lock:
            self._shown_at = self._clock()
            self._set("shown", None, details)

    def details_failed(self, code: str) -> None:
        with self._lock:
            self._set("failed", code[:64], None)

    def details_cleared(self) -> None:
        with self._lock:
            if self._state == "reading":
                self._set("failed", "read_interrupted", None)  # pulled out mid-read
            elif self._state == "failed" and self._fault == "read_interrupted":
                pass  # the officer keeps seeing why nothing is shown, until the next card
            elif self._state != "idle":
                self._set("idle", None, None)

    # -- the view ---------------------------------------------------------------------------
    def expire(self) -> None:
        """Drop details shown for longer than ``clear_after_s`` (card left in the reader)."""
        with self._lock:
            if self._state == "shown" and self._clock() - self._shown_at >= self._clear_after_s:
                self._set("timed_out", None, None)

    def clear(self) -> None:
        with self._lock:
            self._set("idle", None, None)

    def snapshot(self) -> Snapshot:
        self.expire()
        with self._lock:
            return Snapshot(self._version, self._state, self._fault, self._details)
