"""Helpers for the card tests: a listener that records what a card source reports, day keys,
and a PC/SC source factory that always stops what it started."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from agent.card.day_key_store import StaticDayKeys, office_today
from agent.card.interface import CardFault, CardRead, ReaderStatus
from agent.card.pcsc_reader import PcscCardSource
from agent.card.settings import CardSettings
from protocols.day_keys import make_day_keys

PEPPER = bytes(range(32))
# The canary: synthetic, checksum-valid, province 99 (does not exist).
CANARY_ID = "1999912345673"


class RecordingListener:
    """Implements CardListener; tests wait for events with :meth:`wait_for`."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self._cond = threading.Condition()

    def _add(self, kind: str, value: Any = None) -> None:
        with self._cond:
            self.events.append((kind, value))
            self._cond.notify_all()

    def card_inserted(self, read: CardRead) -> None:
        self._add("inserted", read)

    def card_removed(self) -> None:
        self._add("removed")

    def card_fault(self, fault: CardFault) -> None:
        self._add("fault", fault)

    def reader_status(self, status: ReaderStatus) -> None:
        self._add("status", status)

    def wait_for(self, kind: str, timeout_s: float = 5.0, start: int = 0) -> Any:
        """The value of the first ``kind`` event at index >= ``start``, waiting for it."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                for k, value in self.events[start:]:
                    if k == kind:
                        return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {kind!r} event in {timeout_s} s: {self.events}")
                self._cond.wait(left)

    def wait_fault(self, code: str, timeout_s: float = 5.0, start: int = 0) -> CardFault:
        deadline = time.monotonic() + timeout_s
        while True:
            faults = [v for k, v in self.events[start:] if k == "fault" and v.code == code]
            if faults:
                return faults[0]
            if time.monotonic() > deadline:
                raise AssertionError(f"no fault {code!r} in {timeout_s} s: {self.events}")
            with self._cond:
                self._cond.wait(0.05)

    def wait_status(self, status: str, timeout_s: float = 10.0, start: int = 0) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            if ("status", status) in self.events[start:]:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"no status {status!r} in {timeout_s} s: {self.events}")
            with self._cond:
                self._cond.wait(0.05)

    def mark(self) -> int:
        """An index for ``start=``: only events after this point count."""
        with self._cond:
            return len(self.events)

    def kinds(self, start: int = 0) -> list[str]:
        """Card event kinds after ``start`` (reader status changes left out)."""
        return [k for k, _ in self.events[start:] if k != "status"]

    def faults(self, start: int = 0) -> list[str]:
        return [v.code for k, v in self.events[start:] if k == "fault"]


def day_keys_for(first: date | None = None, days: int = 3) -> StaticDayKeys:
    return StaticDayKeys(make_day_keys(PEPPER, first or office_today(), days))


@pytest.fixture
def listener() -> RecordingListener:
    return RecordingListener()


SourceFactory = Callable[..., PcscCardSource]


@pytest.fixture
def pcsc_source(pcscd: Any, listener: RecordingListener, tmp_path: Path) -> Iterator[SourceFactory]:
    """``pcsc_source(**settings)`` starts a PcscCardSource on vpcd slot 0 with fast timings."""
    started: list[PcscCardSource] = []

    def make(
        *,
        day_keys: Any = "default",
        today: Callable[[], date] = office_today,
        sysfs_usb: Path | None = None,
        **settings: Any,
    ) -> PcscCardSource:
        options: dict[str, Any] = {
            "reader": pcscd.reader_name(0),
            "settle_delay_s": 0.05,
            "read_timeout_s": 1.5,
            "day_keys_path": tmp_path / "unused-day-keys.json",
        }
        options.update(settings)
        keys = day_keys_for() if day_keys == "default" else day_keys
        source = PcscCardSource(
            CardSettings(**options),
            day_keys=keys,
            today=today,
            sysfs_usb=sysfs_usb or tmp_path / "no-sysfs",
            poll_interval_s=0.2,
        )
        source.start(listener)
        started.append(source)
        return source

    yield make
    for source in started:
        source.stop()
