"""The officer view as one part of the agent: the card state (the card source's details
listener), the HTTP listeners, pairing, and the office-made copy.

Built only when ``[officer_view] enabled`` (agent.runtime imports this lazily).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from agent.officer_view.card_state import CardState
from agent.officer_view.pairing import PairedPcs, PairingCodes
from agent.officer_view.settings import OfficerViewSettings

_LOGGER = logging.getLogger(__name__)

RecordCopy = Callable[[str], None]


class CopyRefusedError(Exception):
    """The copy was not made: ``status`` is the HTTP answer (409 card changed, 400 bad service,
    502 printer), the message one line without personal data."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class CopyDone:
    job: str
    service: str


class OfficerView:
    def __init__(
        self, settings: OfficerViewSettings, *, today: Callable[[], date] = date.today
    ) -> None:
        self.settings = settings
        self.card = CardState(settings.clear_after_s)
        self.codes = PairingCodes(settings.pairing_code_ttl_s, settings.pairing_attempts)
        self.paired = PairedPcs(settings.credentials_path)
        self.csrf = secrets.token_urlsafe(24)  # per process; the page sends it back
        self._today = today
        self._record_copy: RecordCopy | None = None
        self._servers: list[Any] = []

    def bind(self, record_copy: RecordCopy) -> None:
        """How a made copy is recorded (the session machine's ``copy_made``)."""
        self._record_copy = record_copy

    def start(self) -> None:
        from agent.officer_view.server import start_listeners  # noqa: PLC0415

        self._servers = start_listeners(self)

    def stop(self) -> None:
        from agent.officer_view.server import stop_listeners  # noqa: PLC0415

        stop_listeners(self._servers)
        self._servers = []
        self.card.clear()

    @property
    def addresses(self) -> list[str]:
        from agent.officer_view.server import listener_urls  # noqa: PLC0415

        return listener_urls(self._servers)

    def tick(self) -> None:
        self.card.expire()

    def make_copy(self, version: object, service_id: object) -> CopyDone:
        """Render and print the copy of the card shown as ``version`` for ``service_id``;
        then record ``copy.made``. Nothing is kept: the PDF lives in this call only."""
        from agent.officer_view.copy_pdf import CopyRenderError, render_copy  # noqa: PLC0415
        from agent.officer_view.printing import PrintError, print_pdf  # noqa: PLC0415

        service = next((s for s in self.settings.services if s.id == service_id), None)
        if service is None:
            raise CopyRefusedError(400, "service: expected one of the office's service ids")
        snap = self.card.snapshot()
        if snap.state != "shown" or snap.details is None or snap.version != version:
            raise CopyRefusedError(409, "the card shown has changed or was removed")
        try:
            pdf = render_copy(
                snap.details,
                service_th=service.name_th,
                office_th=self.settings.office_name_th,
                today=self._today(),
            )
            del snap
            job = print_pdf(
                pdf,
                printer=self.settings.printer,
                server=self.settings.cups_server,
                options=self.settings.lp_options,
            )
        except (CopyRenderError, PrintError) as exc:
            _LOGGER.error("office copy failed: %s", exc)
            raise CopyRefusedError(502, str(exc)) from None
        del pdf
        _LOGGER.info("office copy printed as job %s for service %s", job, service.id)
        if self._record_copy is not None:
            self._record_copy(service.id)
        return CopyDone(job, service.id)
