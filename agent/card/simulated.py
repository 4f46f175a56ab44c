"""A card source without a reader, for the demo and the fleet simulator.

``insert(person)`` and ``remove()`` are called by the program; the outcome goes through the
same last step as a real read (checksum, pseudonym with today's day key, validity, age band),
so a simulated visitor's pseudonym is what a real card of that person would give.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from agent.card.citizen_id import CitizenId
from agent.card.day_key_store import DayKeys, office_today
from agent.card.errors import CardError
from agent.card.interface import CardListener, ReaderStatus
from agent.card.notifier import ListenerNotifier
from agent.card.thai_id import outcome_from_fields

_LOGGER = logging.getLogger(__name__)


class CardHolder(Protocol):
    """The card fields a read uses (card format: ``YYYYMMDD`` Buddhist era). The fleet
    simulator's ``SyntheticPerson`` is one; the agent package knows no more of it."""

    @property
    def citizen_id(self) -> str: ...
    @property
    def expiry_date(self) -> str: ...
    @property
    def birth_date(self) -> str: ...
    @property
    def sex(self) -> str: ...


@dataclass(frozen=True)
class DefaultHolder:
    """The holder ``insert()`` presents without one: synthetic (province 99, belongs to no one)."""

    citizen_id: str = field(default="1999900000013", repr=False)
    expiry_date: str = "25790101"
    birth_date: str = "25300415"
    sex: str = "1"


class SimulatedCardSource:
    """Implements ``CardSource``; callbacks run on the caller's thread of insert/remove."""

    def __init__(
        self,
        *,
        day_keys: DayKeys | None,
        demographics: bool = False,
        today: Callable[[], date] = office_today,
    ) -> None:
        self._day_keys = day_keys
        self._demographics = demographics
        self._today = today
        self._lock = threading.Lock()
        self._notify: ListenerNotifier | None = None
        self._session = False

    @property
    def status(self) -> ReaderStatus:
        return "present" if self._notify is not None else "absent"

    def start(self, listener: CardListener) -> None:
        self._notify = ListenerNotifier(listener)
        self._notify.reader("present")

    def stop(self) -> None:
        self._notify = None

    def insert(self, person: CardHolder | None = None) -> None:
        """A card is put in the reader: report its read (or its fault) to the listener."""
        person = person or DefaultHolder()
        with self._lock:
            notify = self._require_started()
            if self._session:
                self._session = False
                notify.removed()
            today = self._today()
            key, problem = None, "no day-key file configured"
            if self._day_keys is not None:
                try:
                    key = self._day_keys.key_for(today)
                    problem = f"no day key for {today.isoformat()}"
                except CardError as exc:
                    problem = str(exc)
            try:
                outcome = outcome_from_fields(
                    CitizenId(person.citizen_id),
                    person.expiry_date.encode("ascii"),
                    person.birth_date.encode("ascii") if self._demographics else None,
                    person.sex.encode("ascii") if self._demographics else None,
                    key=key,
                    today=today,
                )
            except CardError as exc:
                notify.fault(exc.code, str(exc))
                return
            self._session = True
            notify.inserted(outcome.read)
            if outcome.no_day_key:
                notify.fault("no_day_key", problem)

    def remove(self) -> None:
        """The card is taken out; ends the session if a read had started one."""
        with self._lock:
            notify = self._require_started()
            if self._session:
                self._session = False
                notify.removed()

    def fault(self, code: str, detail: str = "") -> None:
        """Inject a reader fault (demo of faults on the panel and in the collector)."""
        with self._lock:
            self._require_started().fault(code, detail)

    def _require_started(self) -> ListenerNotifier:
        if self._notify is None:
            raise RuntimeError("start() the simulated card source first")
        return self._notify
