"""Test doubles for the agent's seams: a clock that moves only when told, a card source that
calls its listener (the CardSource protocol itself, not hardware), and an event recorder."""

from __future__ import annotations

from datetime import datetime, timedelta

from agent.card.interface import CardFault, CardListener, CardRead, ReaderStatus
from agent.envelopes import EventBody
from protocols import ICT


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.t = 1000.0
        self._wall = start or datetime(2026, 11, 25, 9, 0, tzinfo=ICT)

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return self._wall + timedelta(seconds=self.t - 1000.0)

    def advance(self, seconds: float) -> None:
        self.t += seconds


class FakeCardSource:
    """Implements CardSource; tests insert and remove cards by calling its methods."""

    def __init__(self) -> None:
        self._status: ReaderStatus = "present"
        self.listener: CardListener | None = None
        self.stopped = False

    @property
    def status(self) -> ReaderStatus:
        return self._status

    def start(self, listener: CardListener) -> None:
        self.listener = listener
        listener.reader_status(self._status)

    def stop(self) -> None:
        self.stopped = True

    def insert(self, visitor: str | None = "abcdefghijklmnopqrstuvwxyz") -> None:
        assert self.listener is not None
        self.listener.card_inserted(CardRead(visitor=visitor, card_valid=True))

    def remove(self) -> None:
        assert self.listener is not None
        self.listener.card_removed()

    def fault(self, code: str, detail: str = "") -> None:
        assert self.listener is not None
        self.listener.card_fault(CardFault(code, detail))

    def set_status(self, status: ReaderStatus) -> None:
        self._status = status
        if self.listener is not None:
            self.listener.reader_status(status)


class Recorder:
    """Collects emitted event bodies in order."""

    def __init__(self) -> None:
        self.bodies: list[EventBody] = []

    def __call__(self, body: EventBody) -> None:
        self.bodies.append(body)

    def types(self) -> list[str]:
        return [type(b).__name__.removesuffix("Body") for b in self.bodies]
