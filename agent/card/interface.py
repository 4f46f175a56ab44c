"""What the rest of the agent sees of a card reader: anonymous outcomes, never card data.

The session layer implements :class:`CardListener`; a reader back-end (real PC/SC, or the
simulated one) implements :class:`CardSource`. Callbacks may arrive on the back-end's own
thread: listeners must be thread-safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from protocols.plain import AgeBand, Sex

ReaderStatus = Literal["present", "absent", "error"]


@dataclass(frozen=True, slots=True)
class CardRead:
    """The anonymous outcome of one successful card read.

    ``visitor`` is the day's pseudonym, or None when there is no day key for today (the source
    then also reports a ``no_day_key`` fault). ``card_valid`` is False for an expired card, None
    when unknown. ``age_band``/``sex`` are None unless demographics are enabled.
    """

    visitor: str | None
    card_valid: bool | None
    age_band: AgeBand | None = None
    sex: Sex | None = None


@dataclass(frozen=True, slots=True)
class CardFault:
    """A card or reader problem: ``code`` is short (``not_thai_card``, ``mute_card``,
    ``bad_checksum``, ``read_interrupted``, ``reader_lost``, ``no_day_key``, ...);
    ``detail`` is at most 200 characters and never carries personal data."""

    code: str
    detail: str = ""


class CardListener(Protocol):
    def card_inserted(self, read: CardRead) -> None: ...

    def card_removed(self) -> None: ...

    def card_fault(self, fault: CardFault) -> None: ...

    def reader_status(self, status: ReaderStatus) -> None: ...


class CardSource(Protocol):
    @property
    def status(self) -> ReaderStatus: ...

    def start(self, listener: CardListener) -> None: ...

    def stop(self) -> None: ...
