"""Report filters: a date range in Thai time, checked so that mistakes get a 422 naming the field.

Dates are Gregorian ``YYYY-MM-DD``; a year past 2400 is almost surely Buddhist era (2568 =
2025) typed by mistake and is refused with that hint instead of an empty report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from fastapi import HTTPException

BANGKOK = timezone(timedelta(hours=7))
BE_OFFSET = 543


def _parse(value: str, name: str) -> date:
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise HTTPException(422, f"{name}: a date YYYY-MM-DD is needed, got {value!r}") from None
    if parsed.year > 2400:
        raise HTTPException(
            422,
            f"{name}: {parsed.year} looks like a Buddhist-era year; use the Gregorian year "
            f"{parsed.year - BE_OFFSET}",
        )
    return parsed


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date  # inclusive

    @property
    def start_ms(self) -> int:
        return int(datetime.combine(self.start, time(), BANGKOK).timestamp() * 1000)

    @property
    def end_ms(self) -> int:
        """Exclusive: midnight after ``end`` in Thai time."""
        after = self.end + timedelta(days=1)
        return int(datetime.combine(after, time(), BANGKOK).timestamp() * 1000)


def date_range(from_: str | None, to: str | None, today: date | None = None) -> DateRange:
    """``from``/``to`` (inclusive); defaults: the 30 days up to today (Thai time)."""
    today = today or datetime.now(BANGKOK).date()
    end = _parse(to, "to") if to else today
    start = _parse(from_, "from") if from_ else end - timedelta(days=29)
    if start > end:
        raise HTTPException(422, f"from: {start} is after to ({end})")
    if (end - start).days > 3 * 366:
        raise HTTPException(422, "from: at most three years per report")
    return DateRange(start, end)


def page_date_range(query: Mapping[str, str], errors: dict[str, str]) -> DateRange:
    """A page's period from its ``from``/``to`` query values; a wrong one is added to ``errors``
    (by field) and the default period shown instead, so the page still renders."""
    try:
        return date_range(query.get("from") or None, query.get("to") or None)
    except HTTPException as exc:
        detail = str(exc.detail)
        errors[detail.split(":", 1)[0]] = detail
        return date_range(None, None)
