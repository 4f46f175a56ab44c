"""Open now / opens at, in office-local time (Asia/Bangkok), with weekly hours and holidays.

Hours are spans of minutes per weekday (Monday = 0); a span whose close is not after its open
runs past midnight into the next day. On a public holiday the office does not open, but a span
begun the evening before still runs until it closes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from collector.services.holidays import holidays

OFFICE_TZ = ZoneInfo("Asia/Bangkok")
LOOKAHEAD_DAYS = 21

Span = tuple[int, int, int]  # weekday, opens_min, closes_min


@dataclass(frozen=True)
class OpenState:
    open_now: bool
    closes_at: dt.datetime | None
    opens_at: dt.datetime | None
    holiday: tuple[str, str] | None

    def as_dict(self) -> dict[str, object]:
        return {
            "open_now": self.open_now,
            "closes_at": self.closes_at.isoformat() if self.closes_at else None,
            "opens_at": self.opens_at.isoformat() if self.opens_at else None,
            "holiday_today": (
                {"name_th": self.holiday[0], "name_en": self.holiday[1]} if self.holiday else None
            ),
        }


def _intervals(
    spans: Iterable[Span], day: dt.date, days_off: Mapping[dt.date, object]
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The opening intervals that start on ``day`` (none on a holiday)."""
    if day in days_off:
        return []
    out = []
    midnight = dt.datetime.combine(day, dt.time(), OFFICE_TZ)
    for weekday, opens, closes in spans:
        if weekday != day.weekday():
            continue
        end = closes if closes > opens else closes + 1440
        out.append((midnight + dt.timedelta(minutes=opens), midnight + dt.timedelta(minutes=end)))
    return sorted(out)


def open_state(
    spans: Iterable[Span],
    now: dt.datetime,
    days_off: Mapping[dt.date, tuple[str, str]] | None = None,
) -> OpenState:
    """Whether the office is open at ``now`` (aware), until when, or when it next opens."""
    spans = list(spans)
    off = holidays() if days_off is None else days_off
    local = now.astimezone(OFFICE_TZ)
    today = local.date()
    candidates: list[tuple[dt.datetime, dt.datetime]] = []
    for delta in range(-1, LOOKAHEAD_DAYS + 1):
        candidates.extend(_intervals(spans, today + dt.timedelta(days=delta), off))
    candidates.sort()
    holiday = off.get(today)
    current = [(a, b) for a, b in candidates if a <= local < b]
    if current:
        closes = max(b for _, b in current)
        for a, b in candidates:  # back-to-back spans read as one
            if a <= closes < b:
                closes = b
        return OpenState(True, closes, None, holiday)
    upcoming = [a for a, _ in candidates if a > local]
    return OpenState(False, None, min(upcoming) if upcoming else None, holiday)
