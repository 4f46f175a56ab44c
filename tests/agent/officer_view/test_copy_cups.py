"""The office-made copy through a real CUPS with cups-pdf as the counter's printer: the PDF
that comes out carries the purpose line, the office and the citizen's data; nothing prints for
a card that changed or left; CUPS keeps no job file; ``copy.made`` names only the service."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from agent.officer_view.service import OfficerView
from agent.officer_view.settings import OfficerViewSettings
from tests.agent.officer_view.card_io import details_of
from tests.agent.officer_view.pdf_text import page_count, pdf_text, skeleton
from tests.agent.officer_view.rig import CANARY, CANARY_ROAD, CANARY_SURNAME, officer_settings
from tests.fixtures.cups import QUEUE, Cups

pytestmark = pytest.mark.slow


@pytest.fixture
def view(tmp_path: Path, cups: Cups) -> Iterator[tuple[OfficerView, list[str]]]:
    settings = OfficerViewSettings(
        **officer_settings(
            tmp_path,
            printer=QUEUE,
            cups_server=cups.server,
            # keeps text as text through CUPS's PostScript step, so pdftotext can read it back
            lp_options=["pdftops-renderer=pdftocairo"],
        )
    )
    made: list[str] = []
    officer = OfficerView(settings, today=lambda: date(2026, 12, 2))
    officer.bind(made.append)
    officer.start()
    try:
        yield officer, made
    finally:
        officer.stop()


def test_copy_is_printed_with_its_purpose_and_nothing_after_removal(
    view: tuple[OfficerView, list[str]], cups: Cups
) -> None:
    officer, made = view
    before = len(list(cups.out.glob("*.pdf")))
    client = httpx.Client(base_url=f"http://127.0.0.1:{officer.settings.port}", timeout=60)
    headers = {"X-Officer-Token": officer.csrf}
    officer.card.details_read(details_of(CANARY))
    version = client.get("/api/card").json()["version"]

    answer = client.post(
        "/api/copy", json={"version": version, "service": "new-card"}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    assert made == ["new-card"]
    pdfs = cups.printed(before + 1)
    text = pdf_text(pdfs[-1])
    assert skeleton("ใช้สำหรับขอมีบัตรใหม่เท่านั้น") in skeleton(text)
    assert skeleton("ที่ว่าการอำเภอเมืองทดสอบ") in skeleton(text)
    assert skeleton(CANARY_SURNAME) in skeleton(text)
    assert skeleton(CANARY_ROAD) in skeleton(text)
    assert "1 9999 55501 23 5" in text
    assert skeleton("2 ธ.ค. 2569") in skeleton(text)
    assert page_count(pdfs[-1]) == 1
    assert cups.spool_documents() == []  # PreserveJobFiles No: CUPS kept no copy of the job

    # A service the office does not offer, a stale version, then the card gone: nothing prints.
    bad = client.post(
        "/api/copy", json={"version": version, "service": "passport"}, headers=headers
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "service"
    officer.card.details_cleared()
    officer.card.details_read(details_of(CANARY))
    stale = client.post(
        "/api/copy", json={"version": version, "service": "new-card"}, headers=headers
    )
    assert stale.status_code == 409
    officer.card.details_cleared()
    gone = client.post(
        "/api/copy", json={"version": version + 2, "service": "new-card"}, headers=headers
    )
    assert gone.status_code == 409
    assert made == ["new-card"]
    assert not cups.pending()
    assert len(list(cups.out.glob("*.pdf"))) == before + 1


def test_printer_gone_is_reported_and_not_recorded(
    view: tuple[OfficerView, list[str]], tmp_path: Path
) -> None:
    officer, made = view
    broken = OfficerView(
        OfficerViewSettings(
            **officer_settings(
                tmp_path, printer="no-such-queue", cups_server=str(officer.settings.cups_server)
            )
        )
    )
    broken.bind(made.append)
    broken.card.details_read(details_of(CANARY))
    version = broken.card.snapshot().version
    from agent.officer_view.service import CopyRefusedError  # noqa: PLC0415

    with pytest.raises(CopyRefusedError) as refused:
        broken.make_copy(version, "house-move")
    assert refused.value.status == 502
    assert CANARY_SURNAME not in str(refused.value)
    assert made == []
