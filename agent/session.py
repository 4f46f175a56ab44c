"""The session state machine: joins the card reader and the button panel into events.

Card inserted → ``session.started``; card removed → ``session.ended`` (``card_removed``), or
the session runs past ``timeout_s`` (``timeout``), or staff hold their button (``staff``). Each
end opens a rating window of ``rating_window_s``: the first press inside it is a ``verified``
rating of that session (``after_s`` = seconds since it ended); further presses for the same
session, and any press sooner than ``min_press_interval_s`` after the previous press, are
ignored for the score and counted as misuse (:attr:`SessionMachine.misuse_presses`). A press
outside any window (also while a card is still inserted, and always on a counter without
reader) is an ``unverified`` rating with no session.

Time comes from an injectable clock and deadlines are checked by :meth:`tick`, so tests and
the fleet simulator advance time without sleeping. Callbacks arrive on several threads
(card back-end, GPIO, the runtime's tick): one lock serialises them.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from agent.card.interface import CardFault, CardRead, ReaderStatus
from agent.clock import Clock
from agent.config import SessionSettings
from agent.envelopes import EventBody
from agent.panel import Panel, RatingLeds
from agent.wire import (
    CopyMadeBody,
    CopyRequestedBody,
    FaultBody,
    RatingBody,
    SessionEndedBody,
    SessionStartedBody,
)
from protocols.plain import new_message_id

_LOGGER = logging.getLogger(__name__)

_CODE_RE = re.compile(r"[^a-z0-9_.-]")

Emit = Callable[[EventBody], None]


@dataclass(slots=True)
class _Session:
    id: UUID
    started: float


@dataclass(slots=True)
class _Window:
    session: UUID
    ended: float
    deadline: float
    rated: bool = False


class SessionMachine:
    """A :class:`~agent.card.interface.CardListener` and :class:`~agent.panel.PanelListener`."""

    def __init__(
        self,
        settings: SessionSettings,
        *,
        emit: Emit,
        clock: Clock,
        scale: int,
        has_reader: bool,
        panel: Panel | None = None,
        on_reader_status: Callable[[ReaderStatus], None] | None = None,
    ) -> None:
        self.settings = settings
        self._emit = emit
        self._clock = clock
        self._scale = scale
        self._has_reader = has_reader
        self._panel = panel
        self._on_reader_status = on_reader_status
        self._lock = threading.RLock()
        self._session: _Session | None = None
        self._window: _Window | None = None
        self._last_press: float | None = None
        self.misuse_presses = 0
        self.reader: ReaderStatus = "absent"
        if panel is not None:
            panel.show(self._resting())

    def _resting(self) -> RatingLeds:
        """Without a reader every moment is open to (unverified) ratings: LEDs stay lit."""
        return RatingLeds.OFF if self._has_reader else RatingLeds.INVITE

    def _show(self, mode: RatingLeds) -> None:
        if self._panel is not None:
            self._panel.show(mode)

    @property
    def in_session(self) -> bool:
        return self._session is not None

    @property
    def window_open(self) -> bool:
        return self._window is not None and not self._window.rated

    # -- card ------------------------------------------------------------------------------
    def card_inserted(self, read: CardRead) -> None:
        with self._lock:
            if self._session is not None:
                self._end("card_removed")  # a removal the reader never reported
            self._window = None
            self._session = _Session(new_message_id(), self._clock.monotonic())
            self._emit(
                SessionStartedBody(
                    session=self._session.id,
                    visitor=read.visitor,
                    card_valid=read.card_valid,
                    age_band=read.age_band,
                    sex=read.sex,
                )
            )
            self._show(RatingLeds.OFF)

    def card_removed(self) -> None:
        with self._lock:
            if self._session is not None:
                self._end("card_removed")

    def card_fault(self, fault: CardFault) -> None:
        code = _CODE_RE.sub("_", fault.code.lower())[:64] or "unknown"
        with self._lock:
            self._emit(FaultBody(component="reader", code=code, detail=fault.detail[:200]))

    def reader_status(self, status: ReaderStatus) -> None:
        with self._lock:
            self.reader = status
        if self._on_reader_status is not None:
            self._on_reader_status(status)

    def _end(self, reason: str) -> None:
        assert self._session is not None
        t = self._clock.monotonic()
        session = self._session
        self._session = None
        self._emit(
            SessionEndedBody(
                session=session.id,
                duration_s=max(0.0, t - session.started),
                reason=reason,  # type: ignore[arg-type]
            )
        )
        self._window = _Window(session.id, t, t + self.settings.rating_window_s)
        self._show(RatingLeds.INVITE)

    # -- panel -----------------------------------------------------------------------------
    def rating_pressed(self, score: int) -> None:
        with self._lock:
            self._expire()
            t = self._clock.monotonic()
            previous, self._last_press = self._last_press, t
            if previous is not None and t - previous < self.settings.min_press_interval_s:
                self.misuse_presses += 1
                return
            window = self._window
            if window is not None and window.rated:
                self.misuse_presses += 1  # one counted rating per session
                return
            if window is not None:
                window.rated = True
                body = RatingBody(
                    session=window.session,
                    score=score,
                    scale=self._scale,
                    verified=True,
                    after_s=max(0.0, t - window.ended),
                )
            else:
                body = RatingBody(
                    session=None,
                    score=score,
                    scale=self._scale,
                    verified=False,
                    after_s=None,
                )
            self._emit(body)
            if self._panel is not None:
                self._panel.acknowledge(score, then=self._resting())

    def staff_pressed(self) -> None:
        with self._lock:
            self._expire()
            session = self._session.id if self._session is not None else None
            if session is None and self._window is not None:
                session = self._window.session
            self._emit(CopyRequestedBody(session=session, document=self.settings.copy_document))

    def copy_made(self, service: str | None) -> None:
        """The office made the copy itself (officer view): ``copy.made`` of the current, or
        just-ended, session. No personal data: session, document, service."""
        with self._lock:
            self._expire()
            session = self._session.id if self._session is not None else None
            if session is None and self._window is not None:
                session = self._window.session
            self._emit(CopyMadeBody(session=session, document="id_card", service=service))

    def staff_held(self) -> None:
        with self._lock:
            if self._session is not None:
                self._end("staff")

    # -- time ------------------------------------------------------------------------------
    def tick(self) -> None:
        """Apply deadlines (session timeout, end of the rating window); call often."""
        with self._lock:
            t = self._clock.monotonic()
            if self._session is not None and t - self._session.started >= self.settings.timeout_s:
                self._end("timeout")
            self._expire()

    def _expire(self) -> None:
        window = self._window
        if window is not None and self._clock.monotonic() >= window.deadline:
            self._window = None
            if not window.rated:
                self._show(self._resting())
