"""A card source that can fail: wraps the simulated reader to show a reader fault end to end.

While faulted the reader status is ``error`` (the heartbeat says so, the panel's status LED
blinks fast, the collector raises a ``reader`` alert) and cards cannot be read, just as when a
real reader is unplugged or its firmware hangs.
"""

from __future__ import annotations

from agent.card.interface import CardListener, ReaderStatus
from agent.card.simulated import SimulatedCardSource
from simulator.card.synthetic_person import SyntheticPerson


class FaultableReader:
    """Implements ``CardSource``; :meth:`break_down` and :meth:`repair` drive the fault."""

    def __init__(self, inner: SimulatedCardSource) -> None:
        self._inner = inner
        self._listener: CardListener | None = None
        self.faulted = False

    @property
    def status(self) -> ReaderStatus:
        return "error" if self.faulted else self._inner.status

    def start(self, listener: CardListener) -> None:
        self._listener = listener
        self._inner.start(listener)

    def stop(self) -> None:
        self._inner.stop()
        self._listener = None

    def insert(self, person: SyntheticPerson) -> bool:
        """Insert a card; False (nothing read) while the reader is faulted."""
        if self.faulted or self._listener is None:
            return False
        self._inner.insert(person)
        return True

    def remove(self) -> None:
        if self._listener is not None:
            self._inner.remove()

    def break_down(self) -> None:
        if self.faulted or self._listener is None:
            return
        self._inner.remove()
        self._inner.fault("reader_lost", "simulated: the reader stopped answering")
        self.faulted = True
        self._listener.reader_status("error")

    def repair(self) -> None:
        if not self.faulted or self._listener is None:
            return
        self.faulted = False
        self._listener.reader_status("present")
