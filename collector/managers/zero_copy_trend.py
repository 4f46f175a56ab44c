"""Zero copy over time: the measured share of visitor sessions in which a copy was requested,
per office and per day, week (Monday) or month, office-local time.

The figure is the one of ``services/zero_copy.measure`` (``session.started`` with a visitor, the
share of them with a ``copy.requested``), tallied per period. A period with fewer than k visitor
sessions (but some) shows no figures and says ``suppressed``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from collector.analytics.filters import DateRange
from collector.services.zero_copy import Tally, measure
from collector.storage import Driver


def period_of(day: str, grain: str) -> str:
    d = dt.date.fromisoformat(day)
    if grain == "week":
        return (d - dt.timedelta(days=d.weekday())).isoformat()
    if grain == "month":
        return d.strftime("%Y-%m")
    return day


def _point(period: str, t: Tally, k: int) -> dict[str, Any]:
    hidden = 0 < t.sessions < k
    share = t.sessions_with_copy / t.sessions if t.sessions else None
    return {
        "period": period,
        "sessions": None if hidden else t.sessions,
        "sessions_with_copy": None if hidden else t.sessions_with_copy,
        "copy_share": None if hidden or share is None else round(share, 4),
        "copies_made": None if hidden else t.copies_made,
        "suppressed": hidden,
    }


async def office_series(
    driver: Driver, office_id: str, period: DateRange, grain: str, k: int
) -> list[dict[str, Any]]:
    measured = await measure(driver, office_id, period.start_ms, period.end_ms)
    per: dict[str, Tally] = {}
    for day, t in measured.by_day.items():
        into = per.setdefault(period_of(day, grain), Tally())
        into.sessions += t.sessions
        into.sessions_with_copy += t.sessions_with_copy
        into.copies_requested += t.copies_requested
        into.copies_made += t.copies_made
    return [_point(p, t, k) for p, t in sorted(per.items())]
