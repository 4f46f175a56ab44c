"""The real card back-end: a PC/SC reader (pcscd + pyscard), watched by a thread of our own.

Why not pyscard's CardMonitor: it is a process-wide singleton, reports nothing about readers
or pcscd, prints tracebacks and stops for good when pcscd goes away (SCARD_E_NO_SERVICE), so it
cannot recover from a pcscd restart. This watcher calls ``SCardGetStatusChange`` on the
configured reader and on the PnP pseudo-reader, re-establishes its context when pcscd comes
back, and runs each read on a thread of its own so that a card that never answers is reported
(``mute_card``) instead of hanging the watcher.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from smartcard import scard

from agent.card.day_key_store import DayKeys, office_today
from agent.card.details import CardDetailsListener
from agent.card.interface import CardListener, ReaderStatus
from agent.card.notifier import ListenerNotifier
from agent.card.pcsc_transport import SERVICE_GONE, describe, hresult
from agent.card.read_job import ReadJob, ReadResult
from agent.card.settings import CardSettings
from agent.card.usb_ccid import SYSFS_USB_DEVICES, ccid_interfaces

_LOGGER = logging.getLogger(__name__)

PNP_READER = "\\\\?PnP?\\Notification"
_SERVICE_GONE = {hresult(c) for c in SERVICE_GONE}
_READER_GONE = {hresult(scard.SCARD_E_UNKNOWN_READER), hresult(scard.SCARD_E_READER_UNAVAILABLE)}
_TIMEOUT = hresult(scard.SCARD_E_TIMEOUT)
_CANCELLED = hresult(scard.SCARD_E_CANCELLED)
_NO_READERS = hresult(scard.SCARD_E_NO_READERS_AVAILABLE)
_GONE_STATES = scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE | scard.SCARD_STATE_IGNORE


class PcscCardSource:
    """Implements ``CardSource`` over PC/SC. Callbacks arrive on its own threads."""

    def __init__(
        self,
        settings: CardSettings,
        *,
        day_keys: DayKeys | None,
        today: Callable[[], date] = office_today,
        sysfs_usb: Path = SYSFS_USB_DEVICES,
        poll_interval_s: float = 0.5,
        details: CardDetailsListener | None = None,
        details_photo: bool = False,
    ) -> None:
        self._settings = settings
        self._details = details  # the officer view, when the agency switched it on
        self._details_photo = details_photo
        self._day_keys = day_keys
        self._today = today
        self._sysfs_usb = sysfs_usb
        self._poll_ms = int(poll_interval_s * 1000)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._notify: ListenerNotifier | None = None
        self._context: int | None = None
        self._reader: str | None = None
        self._reader_state = scard.SCARD_STATE_UNAWARE
        self._pnp_state = scard.SCARD_STATE_UNAWARE
        self._card_present = False
        self._card_counter = -1
        self._token = 0
        self._delivered: int | None = None
        self._job: ReadJob | None = None
        self._missing_since: float | None = None
        self._missing_reported = False

    @property
    def status(self) -> ReaderStatus:
        return self._notify.status if self._notify is not None else "absent"

    @property
    def thread(self) -> threading.Thread | None:
        """The watcher thread (agent.liveness watches it)."""
        return self._thread

    def start(self, listener: CardListener) -> None:
        if self._thread is not None:
            raise RuntimeError("the card source is already started")
        self._notify = ListenerNotifier(listener)
        self._thread = threading.Thread(target=self._run, name="card-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        context = self._context
        if context is not None:
            scard.SCardCancel(context)
        if self._thread is not None:
            self._thread.join(timeout=5)
        job = self._job
        if job is not None and job.thread is not None:
            job.thread.join(timeout=2)
        self._drop_context()

    # -- the watcher thread ---------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._cycle()
            except Exception:
                _LOGGER.exception("card watcher failed; starting over")
                self._drop_context()
                self._stopping.wait(1.0)

    def _cycle(self) -> None:
        if self._context is None and not self._establish():
            self._stopping.wait(1.0)
            return
        reader = self._find_reader()
        if self._context is None:
            return
        if reader is None:
            self._reader_missing()
            self._wait_for_pnp()
            return
        self._reader_found(reader)
        self._watch_reader(reader)
        self._check_mute()

    def _establish(self) -> bool:
        hr, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult(hr) != scard.SCARD_S_SUCCESS:
            self._service_down(describe(hr))
            return False
        self._context = context
        self._reader_state = scard.SCARD_STATE_UNAWARE
        self._pnp_state = scard.SCARD_STATE_UNAWARE
        return True

    def _drop_context(self) -> None:
        context, self._context = self._context, None
        if context is not None:
            scard.SCardReleaseContext(context)

    def _find_reader(self) -> str | None:
        assert self._context is not None
        hr, readers = scard.SCardListReaders(self._context, [])
        if hresult(hr) in _SERVICE_GONE:
            self._drop_context()
            self._service_down(describe(hr))
            return None
        if hresult(hr) != scard.SCARD_S_SUCCESS:
            if hresult(hr) != _NO_READERS:
                _LOGGER.warning("listing readers: %s", describe(hr))
            return None
        wanted = (self._settings.reader or "").lower()
        for name in readers:
            if wanted in name.lower():
                return str(name)
        return None

    def _watch_reader(self, reader: str) -> None:
        assert self._context is not None
        states = [(reader, self._reader_state), (PNP_READER, self._pnp_state)]
        hr, changes = scard.SCardGetStatusChange(self._context, self._poll_ms, states)
        code = hresult(hr)
        if code in (_TIMEOUT, _CANCELLED):
            return
        if code in _SERVICE_GONE:
            self._drop_context()
            self._service_down(describe(hr))
            return
        if code in _READER_GONE:
            self._reader_missing()
            return
        if code != scard.SCARD_S_SUCCESS:
            _LOGGER.warning("waiting for card events: %s", describe(hr))
            self._stopping.wait(1.0)
            return
        for name, event, _atr in changes:
            if name == PNP_READER:
                self._pnp_state = event & ~scard.SCARD_STATE_CHANGED
            else:
                self._reader_state = event & ~scard.SCARD_STATE_CHANGED
                self._on_reader_event(event)

    def _wait_for_pnp(self) -> None:
        if self._context is None:
            return
        states = [(PNP_READER, self._pnp_state)]
        hr, changes = scard.SCardGetStatusChange(self._context, self._poll_ms, states)
        code = hresult(hr)
        if code == scard.SCARD_S_SUCCESS:
            self._pnp_state = changes[0][1] & ~scard.SCARD_STATE_CHANGED
        elif code in _SERVICE_GONE:
            self._drop_context()
            self._service_down(describe(hr))
        elif code not in (_TIMEOUT, _CANCELLED):
            self._stopping.wait(self._poll_ms / 1000)

    # -- reader status --------------------------------------------------------------------

    def _reader_found(self, reader: str) -> None:
        assert self._notify is not None
        if reader != self._reader:
            _LOGGER.info("using card reader %r", reader)
            self._reader = reader
            self._reader_state = scard.SCARD_STATE_UNAWARE
        self._missing_since = None
        self._missing_reported = False
        self._notify.reader("present")

    def _reader_missing(self) -> None:
        assert self._notify is not None
        if self._notify.status == "present":
            self._notify.fault("reader_lost", f"card reader {self._reader!r} is no longer listed")
        self._reader = None
        self._card_gone()
        self._notify.reader("absent")
        self._check_not_enumerated()

    def _service_down(self, why: str) -> None:
        assert self._notify is not None
        if self._notify.status != "error":
            self._notify.fault("reader_lost", f"PC/SC service (pcscd) not reachable: {why}")
        self._reader = None
        self._card_gone()
        self._notify.reader("error")

    def _check_not_enumerated(self) -> None:
        """A reader missing for ``reader_absent_fault_s``: tell a USB reader that pcscd does not
        list (the Pi 4 problem: replug it) from a reader that is not plugged in at all."""
        assert self._notify is not None
        now = time.monotonic()
        if self._missing_since is None:
            self._missing_since = now
        waited = self._settings.reader_absent_fault_s
        if self._missing_reported or now - self._missing_since < waited:
            return
        self._missing_reported = True
        interfaces = ccid_interfaces(self._sysfs_usb)
        if interfaces:
            self._notify.fault(
                "reader_not_enumerated",
                f"USB smart card reader {interfaces[0]} is attached but pcscd has not listed it "
                f"for {waited:g} s: replug the reader",
            )
        else:
            wanted = f" matching {self._settings.reader!r}" if self._settings.reader else ""
            self._notify.fault(
                "reader_absent", f"no card reader{wanted} for {waited:g} s: plug one in"
            )

    # -- cards ----------------------------------------------------------------------------

    def _on_reader_event(self, event: int) -> None:
        assert self._notify is not None
        if event & _GONE_STATES:
            self._reader_missing()
            return
        present = bool(event & scard.SCARD_STATE_PRESENT)
        counter = event >> 16
        if present and event & scard.SCARD_STATE_MUTE:
            if not self._card_present or counter != self._card_counter:
                self._card_present = True
                self._notify.fault("mute_card", "the card gives no answer to reset (no ATR)")
        elif present and (not self._card_present or counter != self._card_counter):
            if self._card_present:
                self._card_gone()  # swapped between two polls
            self._card_arrived()
        elif not present and self._card_present:
            self._card_gone()
        self._card_counter = counter

    def _card_arrived(self) -> None:
        assert self._reader is not None
        with self._lock:
            self._card_present = True
            self._token += 1
            job = ReadJob(
                reader=self._reader,
                demographics=self._settings.demographics,
                settle_delay_s=self._settings.settle_delay_s,
                day_keys=self._day_keys,
                today=self._today,
                card_present=lambda: self._card_present,
                stopping=self._stopping,
                done=self._read_done,
                token=self._token,
                details=self._details is not None,
                photo=self._details_photo,
            )
            self._job = job
            if self._details is not None:
                self._details.details_reading()
        _LOGGER.info("card inserted")
        job.start(time.monotonic())

    def _card_gone(self) -> None:
        assert self._notify is not None
        with self._lock:
            was_present, self._card_present = self._card_present, False
            delivered, self._delivered = self._delivered, None
            if delivered is not None:
                self._notify.removed()
            if was_present and self._details is not None:
                self._details.details_cleared()
        if was_present and delivered is None:
            _LOGGER.info("card removed (no session had started)")

    def _check_mute(self) -> None:
        assert self._notify is not None
        job = self._job
        if job is None or job.abandoned or job.thread is None or not job.thread.is_alive():
            return
        limit = self._settings.read_timeout_s + self._settings.settle_delay_s
        if time.monotonic() - job.started_at > limit:
            job.abandoned = True
            self._notify.fault("mute_card", f"no answer from the card within {limit:g} s")
            if self._details is not None:
                self._details.details_failed("mute_card")

    def _hand_details(self, result: ReadResult) -> None:
        """The officer view gets the data only while this card is still in the reader."""
        assert self._details is not None
        if result.details is not None and self._card_present:
            self._details.details_read(result.details)
        elif result.fault is not None:
            self._details.details_failed(result.fault[0])
        elif not self._card_present:
            self._details.details_failed("read_interrupted")

    def _read_done(self, job: ReadJob, result: ReadResult) -> None:
        assert self._notify is not None
        with self._lock:
            if job.abandoned or self._stopping.is_set():
                return
            if self._details is not None and job.token == self._token:
                self._hand_details(result)
            if result.fault is not None:
                self._notify.fault(*result.fault)
                return
            assert result.outcome is not None
            self._notify.inserted(result.outcome.read)
            if result.outcome.no_day_key:
                self._notify.fault("no_day_key", result.key_problem or "no day key for today")
            if job.token == self._token and self._card_present:
                self._delivered = job.token
            else:
                self._notify.removed()
