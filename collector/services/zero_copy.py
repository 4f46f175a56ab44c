"""Zero-copy status of an office: declared (by the office) and measured (by its counters).

The two are shown side by side and never merged into one number. *Declared*: per service,
which documents the office still asks a photocopy of, and whether it makes copies itself free of
charge (Head of NCPO order 21/2560, clause 17). *Measured*: per service day (office-local) and
counter, visitor sessions (``session.started`` with a visitor) and the share of them in which a
``copy.requested`` event came. ``copy.made`` events (the office made the copy itself) are
counted beside them (``copies_made``): they say the office did the right thing, so they never
count as a copy demanded of the citizen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from collector.config import Settings
from collector.services.catalogue import office_services
from collector.services.hours import OFFICE_TZ
from collector.storage import Driver
from protocols.events import CopyMade

COPY_MADE_TYPE: str = CopyMade.model_fields["type"].default
"""The event type of a copy the office made itself from the card (protocol v1, additive)."""
NO_VISITOR = '%"visitor":null%'


@dataclass
class Tally:
    sessions: int = 0
    sessions_with_copy: int = 0
    copies_requested: int = 0
    copies_made: int = 0

    def as_dict(self) -> dict[str, Any]:
        share = self.sessions_with_copy / self.sessions if self.sessions else None
        return {
            "sessions": self.sessions,
            "sessions_with_copy": self.sessions_with_copy,
            "copy_share": None if share is None else round(share, 4),
            "copies_requested": self.copies_requested,
            "copies_made": self.copies_made,
        }


@dataclass
class Measured:
    total: Tally = field(default_factory=Tally)
    by_day: dict[str, Tally] = field(default_factory=dict)
    by_counter: dict[str, Tally] = field(default_factory=dict)
    by_day_counter: dict[tuple[str, str], Tally] = field(default_factory=dict)


def _day(ts_ms: int) -> str:
    return dt.datetime.fromtimestamp(ts_ms / 1000, OFFICE_TZ).date().isoformat()


async def measure(driver: Driver, office_id: str, since_ms: int, until_ms: int) -> Measured:
    """Tally the office's counters' events in ``[since_ms, until_ms)``."""
    rows = await driver.fetch(
        "SELECT e.device_id, d.counter_label, e.type, e.session, e.ts_ms, "
        "CASE WHEN e.type = 'session.started' AND e.body NOT LIKE ? THEN 1 ELSE 0 END "
        "AS has_visitor FROM events e JOIN devices d ON d.device_id = e.device_id "
        "WHERE d.office_id = ? AND e.type IN ('session.started', 'copy.requested', ?) "
        "AND e.ts_ms >= ? AND e.ts_ms < ? ORDER BY e.ts_ms",
        NO_VISITOR,
        office_id,
        COPY_MADE_TYPE,
        since_ms,
        until_ms,
    )
    visitor_sessions: dict[str, tuple[str, str]] = {}
    copied: set[str] = set()
    out = Measured()

    def tallies(day: str, counter: str) -> list[Tally]:
        return [
            out.total,
            out.by_day.setdefault(day, Tally()),
            out.by_counter.setdefault(counter, Tally()),
            out.by_day_counter.setdefault((day, counter), Tally()),
        ]

    for r in rows:
        counter = r["counter_label"] or r["device_id"]
        day = _day(int(r["ts_ms"]))
        if r["type"] == "session.started":
            if r["has_visitor"] and r["session"]:
                visitor_sessions[r["session"]] = (day, counter)
                for t in tallies(day, counter):
                    t.sessions += 1
            continue
        where = visitor_sessions.get(r["session"] or "", (day, counter))
        for t in tallies(*where):
            if r["type"] == COPY_MADE_TYPE:
                t.copies_made += 1
            else:
                t.copies_requested += 1
        session = r["session"]
        if r["type"] == "copy.requested" and session in visitor_sessions and session not in copied:
            copied.add(session)
            for t in tallies(*visitor_sessions[session]):
                t.sessions_with_copy += 1
    return out


def declared_status(services: list[dict[str, Any]]) -> str:
    """``no_copies``, ``copies`` or ``unknown`` (no service declared at this office)."""
    if not services:
        return "unknown"
    return "copies" if any(s["copies_demanded"] for s in services) else "no_copies"


def mismatch(declared: str, total: Tally, settings: Settings) -> str | None:
    """A flag when declared and measured disagree, given enough sessions to tell."""
    if total.sessions < settings.zero_copy_min_sessions:
        return None
    share = total.sessions_with_copy / total.sessions
    if declared == "no_copies" and share > settings.zero_copy_threshold:
        return "declared_no_copies_but_copies_requested"
    if declared == "copies" and share <= settings.zero_copy_threshold:
        return "declared_copies_but_rarely_requested"
    return None


async def zero_copy_report(
    driver: Driver, settings: Settings, office_id: str, since_ms: int, until_ms: int
) -> dict[str, Any]:
    services = await office_services(driver, office_id)
    docs = await driver.fetch(
        "SELECT d.service_id, d.position, d.name_th, d.name_en, d.copy_required "
        "FROM service_documents d JOIN office_services o ON o.service_id = d.service_id "
        "WHERE o.office_id = ? ORDER BY d.service_id, d.position",
        office_id,
    )
    measured = await measure(driver, office_id, since_ms, until_ms)
    status = declared_status(services)
    declared = []
    for s in services:
        demanded = set(s["copies_demanded"])
        declared.append(
            {
                "service_id": s["service_id"],
                "name_th": s["name_th"],
                "name_en": s["name_en"],
                "copies_made_free": s["copies_made_free"],
                "documents": [
                    {
                        "position": d["position"],
                        "name_th": d["name_th"],
                        "name_en": d["name_en"],
                        "manual_copy_required": (
                            None if d["copy_required"] is None else bool(d["copy_required"])
                        ),
                        "office_asks_copy": d["position"] in demanded,
                    }
                    for d in docs
                    if d["service_id"] == s["service_id"]
                ],
            }
        )
    return {
        "office_id": office_id,
        "since_ms": since_ms,
        "until_ms": until_ms,
        "declared": {"status": status, "services": declared},
        "measured": {
            **measured.total.as_dict(),
            "by_day": [{"day": k, **v.as_dict()} for k, v in sorted(measured.by_day.items())],
            "by_counter": [
                {"counter": k, **v.as_dict()} for k, v in sorted(measured.by_counter.items())
            ],
            "by_day_counter": [
                {"day": d, "counter": c, **v.as_dict()}
                for (d, c), v in sorted(measured.by_day_counter.items())
            ],
            "copy_made_type": COPY_MADE_TYPE,
        },
        "threshold": settings.zero_copy_threshold,
        "min_sessions": settings.zero_copy_min_sessions,
        "mismatch": mismatch(status, measured.total, settings),
    }
