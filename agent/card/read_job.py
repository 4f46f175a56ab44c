"""One card read after an insertion: settle, connect (SHARED), read, one retry, map errors.

Any failure becomes a fault code; a read never raises out of here. The outcome is handed back
to the source, which drops it if the read was abandoned (mute card) or the source stopped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from agent.card.apdu import ApduChannel
from agent.card.day_key_store import DayKeys
from agent.card.details import CardDetails, read_card_details
from agent.card.errors import CardError, MuteCardError, ReadInterruptedError
from agent.card.pcsc_transport import PcscConnection
from agent.card.thai_id import ReadOutcome, read_thai_id
from protocols.pseudonym import DayKey

_LOGGER = logging.getLogger(__name__)

RETRYABLE = (ReadInterruptedError, MuteCardError)


@dataclass
class ReadResult:
    outcome: ReadOutcome | None = None
    fault: tuple[str, str] | None = None
    key_problem: str | None = None
    details: CardDetails | None = field(default=None, repr=False)


@dataclass
class ReadJob:
    """Runs on its own thread so that the watcher can notice a card that never answers."""

    reader: str
    demographics: bool
    settle_delay_s: float
    day_keys: DayKeys | None
    today: Callable[[], date]
    card_present: Callable[[], bool]
    stopping: threading.Event
    done: Callable[[ReadJob, ReadResult], None]
    token: int = 0
    details: bool = False  # also read the officer view's fields (agent.card.details)
    photo: bool = False
    started_at: float = 0.0
    abandoned: bool = False
    thread: threading.Thread | None = field(default=None, repr=False)

    def start(self, now: float) -> None:
        self.started_at = now
        self.thread = threading.Thread(target=self._run, name="card-read", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            result = self._read_with_retry()
        except Exception as exc:  # a read must never take the source down
            result = ReadResult(fault=("read_interrupted", f"unexpected {type(exc).__name__}"))
        self.done(self, result)

    def _read_with_retry(self) -> ReadResult:
        for attempt in (1, 2):
            if self.stopping.wait(self.settle_delay_s):
                return ReadResult(fault=("read_interrupted", "agent stopping"))
            try:
                return self._read_once()
            except RETRYABLE as exc:
                if attempt == 2 or not self.card_present():
                    code = exc.code if isinstance(exc, MuteCardError) else "read_interrupted"
                    return ReadResult(fault=(code, str(exc)))
                _LOGGER.info("card read failed (%s), retrying once", exc)
            except CardError as exc:
                return ReadResult(fault=(exc.code, str(exc)))
        raise AssertionError("unreachable")

    def _read_once(self) -> ReadResult:
        today = self.today()
        key, key_problem = self._key(today)
        with PcscConnection(self.reader) as connection:
            channel = ApduChannel(connection, connection.atr)
            details = None
            if self.details:  # first, so the officer sees a card whose check digit fails
                details = read_card_details(channel, photo=self.photo, today=today)
            try:
                outcome = read_thai_id(
                    channel, demographics=self.demographics, key=key, today=today
                )
            except RETRYABLE:
                raise
            except CardError as exc:
                if details is None:
                    raise
                return ReadResult(fault=(exc.code, str(exc)), details=details)
        return ReadResult(outcome=outcome, key_problem=key_problem, details=details)

    def _key(self, today: date) -> tuple[DayKey | None, str | None]:
        if self.day_keys is None:
            return None, "no day-key file configured"
        try:
            key = self.day_keys.key_for(today)
        except CardError as exc:
            return None, str(exc)
        return key, None if key is not None else f"no day key for {today.isoformat()}"
