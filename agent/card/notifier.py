"""Calls into the listener on behalf of a card source: never lets a listener error kill the
source's thread, and reports the reader status only when it changes."""

from __future__ import annotations

import logging
import threading

from agent.card.interface import CardFault, CardListener, CardRead, ReaderStatus

_LOGGER = logging.getLogger(__name__)
MAX_DETAIL = 200


class ListenerNotifier:
    def __init__(self, listener: CardListener, initial: ReaderStatus = "absent") -> None:
        self._listener = listener
        self._lock = threading.Lock()
        self.status: ReaderStatus = initial
        self._status_sent = False

    def inserted(self, read: CardRead) -> None:
        _LOGGER.info(
            "card read: valid=%s age_band=%s sex=%s visitor=%s",
            read.card_valid,
            read.age_band,
            read.sex,
            "yes" if read.visitor else "none",
        )
        self._call("card_inserted", read)

    def removed(self) -> None:
        _LOGGER.info("card removed")
        self._call("card_removed")

    def fault(self, code: str, detail: str = "") -> None:
        _LOGGER.warning("card fault %s: %s", code, detail)
        self._call("card_fault", CardFault(code, detail[:MAX_DETAIL]))

    def reader(self, status: ReaderStatus) -> None:
        with self._lock:
            if self._status_sent and status == self.status:
                return
            self.status = status
            self._status_sent = True
        _LOGGER.info("reader status: %s", status)
        self._call("reader_status", status)

    def _call(self, method: str, *args: object) -> None:
        try:
            getattr(self._listener, method)(*args)
        except Exception:
            _LOGGER.exception("card listener %s failed", method)
