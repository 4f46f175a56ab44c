"""Chooses the card back-end from ``[card]`` settings: the one place the runtime calls."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from agent.card.day_key_store import DayKeys, DayKeyStore, office_today
from agent.card.interface import CardListener, CardSource, ReaderStatus
from agent.card.settings import CardSettings
from agent.card.simulated import SimulatedCardSource

if TYPE_CHECKING:
    from agent.card.details import CardDetailsListener


class NoCardSource:
    """``backend = "none"``: a counter without a reader (ratings only)."""

    @property
    def status(self) -> ReaderStatus:
        return "absent"

    def start(self, listener: CardListener) -> None:
        listener.reader_status("absent")

    def stop(self) -> None:
        return None


def open_day_keys(settings: CardSettings, today: Callable[[], date] = office_today) -> DayKeyStore:
    """The day-key store of ``settings``; raises ``KeyFileError`` (naming the file) when the
    file has the wrong owner or mode or is malformed. Past days' keys are deleted here."""
    return DayKeyStore(
        settings.day_keys_path, check_owner=settings.check_key_file_owner, today=today
    )


def open_card_source(
    settings: CardSettings,
    *,
    day_keys: DayKeys | None = None,
    today: Callable[[], date] = office_today,
    details: CardDetailsListener | None = None,
    details_photo: bool = False,
) -> CardSource:
    """The card source for ``settings.backend``. The day-key file is checked now, so a bad
    file stops the agent at start with a clear ``KeyFileError`` rather than at the first card.

    ``day_keys`` replaces the file (the demo and fleet simulator pass ``StaticDayKeys``).
    Import of pyscard happens only for the ``pcsc`` back-end. ``details`` (the officer view)
    gets the card's printed data; only the ``pcsc`` back-end reads it.
    """
    if settings.backend == "none":
        return NoCardSource()
    keys = day_keys if day_keys is not None else open_day_keys(settings, today)
    if settings.backend == "simulated":
        return SimulatedCardSource(day_keys=keys, demographics=settings.demographics, today=today)
    # pyscard needs libpcsclite: imported only when a real reader is wanted.
    from agent.card.pcsc_reader import PcscCardSource  # noqa: PLC0415

    return PcscCardSource(
        settings, day_keys=keys, today=today, details=details, details_photo=details_photo
    )
