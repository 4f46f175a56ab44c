"""Zero-copy: declared by the office, measured from stored counter events, mismatch both ways."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from collector.records import EventRow, IngestBatch
from collector.registry import DeviceIn
from collector.registry_writes import upsert_device
from collector.services.reader import read_catalogue
from collector.services.store import import_catalogue
from collector.services.zero_copy import zero_copy_report
from collector.storage import Driver
from collector.storage.ingest_store import write_batch
from protocols import day_key, visitor_pseudonym
from protocols.events import CopyRequestedBody, SessionStartedBody
from tests.collector.conftest import make_settings

OFFICE = "cm-san-sai-dol"
PEPPER = b"p" * 32
# 09:00 Bangkok on 2 and 3 November 2026
DAY1 = int(dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC).timestamp() * 1000)
DAY2 = DAY1 + 86_400_000


async def _declare(driver: Driver, demanded: list[int]) -> None:
    doc = {
        "offerings": [
            {
                "office_id": OFFICE,
                "service_id": "elderly-allowance-registration",
                "counters": ["1"],
                "copies_demanded": demanded,
                "copies_made_free": not demanded,
            }
        ]
    }
    await import_catalogue(driver, read_catalogue(json.dumps(doc).encode(), "o.json"))


class Counter:
    def __init__(self, device_id: str) -> None:
        self.device_id = device_id
        self.seq = 0
        self.rows: list[EventRow] = []

    def _row(self, kind: str, ts_ms: int, session: str | None, body: str) -> None:
        self.seq += 1
        self.rows.append(
            EventRow(
                str(uuid.uuid4()),
                self.device_id,
                self.seq,
                kind,
                ts_ms,
                ts_ms,
                session,
                None,
                None,
                None,
                body,
            )
        )

    def visit(self, ts_ms: int, *, copies: int = 0, visitor: bool = True) -> None:
        session = str(uuid.uuid4())
        day = dt.datetime.fromtimestamp(ts_ms / 1000, dt.UTC).date()
        pseudonym = visitor_pseudonym(day_key(PEPPER, day), "1999900000013") if visitor else None
        body = SessionStartedBody(session=session, visitor=pseudonym, card_valid=visitor)
        self._row("session.started", ts_ms, session, body.model_dump_json())
        for _ in range(copies):
            copy = CopyRequestedBody(session=session, document="id_card")
            self._row("copy.requested", ts_ms + 1000, session, copy.model_dump_json())


async def _store(driver: Driver, *counters: Counter) -> None:
    await write_batch(driver, IngestBatch(events=[r for c in counters for r in c.rows]))


async def _with_counters(driver: Driver) -> tuple[Counter, Counter]:
    for device, label in (("cm-sansai-c01", "1"), ("cm-sansai-c02", "2")):
        await upsert_device(
            driver, DeviceIn(device_id=device, office_id=OFFICE, counter_label=label)
        )
    return Counter("cm-sansai-c01"), Counter("cm-sansai-c02")


async def test_measured_per_day_and_counter_and_flag_when_declared_none(loaded: Driver) -> None:
    settings = make_settings("x.db", zero_copy_threshold=0.1, zero_copy_min_sessions=10)
    await _declare(loaded, [])
    one, two = await _with_counters(loaded)
    for i in range(10):
        one.visit(DAY1 + i * 60_000, copies=2 if i < 3 else 0)  # 3 of 10 sessions: a copy
        two.visit(DAY2 + i * 60_000)
    two.visit(DAY2 + 3_600_000, visitor=False)  # no card read: not a visitor session
    await _store(loaded, one, two)
    report = await zero_copy_report(loaded, settings, OFFICE, DAY1 - 3_600_000, DAY2 + 86_400_000)
    measured = report["measured"]
    assert (measured["sessions"], measured["sessions_with_copy"]) == (20, 3)
    assert measured["copies_requested"] == 6
    assert measured["copy_share"] == 0.15
    assert [(d["day"], d["sessions"], d["sessions_with_copy"]) for d in measured["by_day"]] == [
        ("2026-11-02", 10, 3),
        ("2026-11-03", 10, 0),
    ]
    assert [(c["counter"], c["copy_share"]) for c in measured["by_counter"]] == [
        ("1", 0.3),
        ("2", 0.0),
    ]
    assert report["declared"]["status"] == "no_copies"
    [service] = report["declared"]["services"]
    assert [d["manual_copy_required"] for d in service["documents"]] == [None, None, True]
    assert not any(d["office_asks_copy"] for d in service["documents"])
    assert report["mismatch"] == "declared_no_copies_but_copies_requested"
    strict = make_settings("x.db", zero_copy_threshold=0.2, zero_copy_min_sessions=10)
    relaxed = await zero_copy_report(loaded, strict, OFFICE, DAY1 - 3_600_000, DAY2 + 86_400_000)
    assert relaxed["mismatch"] is None


async def test_flag_when_declared_copies_but_none_measured(loaded: Driver) -> None:
    settings = make_settings("x.db", zero_copy_threshold=0.1, zero_copy_min_sessions=5)
    await _declare(loaded, [3])
    one, _ = await _with_counters(loaded)
    for i in range(4):
        one.visit(DAY1 + i * 60_000)
    await _store(loaded, one)
    window = (DAY1 - 1, DAY1 + 86_400_000)
    report = await zero_copy_report(loaded, settings, OFFICE, *window)
    assert report["declared"]["status"] == "copies"
    assert report["declared"]["services"][0]["documents"][2]["office_asks_copy"] is True
    assert report["mismatch"] is None  # 4 sessions: too few to tell
    one.rows.clear()
    one.visit(DAY1 + 3_600_000)
    await _store(loaded, one)
    report = await zero_copy_report(loaded, settings, OFFICE, *window)
    assert report["measured"]["sessions"] == 5
    assert report["mismatch"] == "declared_copies_but_rarely_requested"


async def test_no_services_declared_is_unknown(loaded: Driver) -> None:
    report = await zero_copy_report(loaded, make_settings("x.db"), OFFICE, DAY1, DAY1 + 86_400_000)
    assert report["declared"]["status"] == "unknown"
    assert report["measured"]["copy_share"] is None
    assert report["mismatch"] is None


async def test_copy_made_events_are_counted_when_stored(loaded: Driver) -> None:
    """The hook: once ``copy.made`` events reach the events table they are counted apart."""
    await _declare(loaded, [])
    one, _ = await _with_counters(loaded)
    one.visit(DAY1)
    session = one.rows[0].session
    body = json.dumps({"session": session, "document": "id_card", "service": None})
    one._row("copy.made", DAY1 + 5000, session, body)
    await _store(loaded, one)
    settings = make_settings("x.db")
    report = await zero_copy_report(loaded, settings, OFFICE, DAY1 - 1, DAY1 + 86_400_000)
    measured = report["measured"]
    assert (measured["copies_made"], measured["copies_requested"]) == (1, 0)
    assert measured["sessions_with_copy"] == 0  # the office copied; the citizen was not asked
