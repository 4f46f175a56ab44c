"""Where a heat-map's sums come from: whole agencies from ``rating_agency_hours``, the rest from
the hourly rollups.

A scope (ops: every office; agency admin: one agency's offices; a manager: some of them) is split
by agency: an agency whose offices are all in the scope is read from its per-agency, per-day,
per-hour rows (migration 10: days × hours rows, whatever the number of offices); offices of an
agency only partly in scope are read from ``rating_rollups``. Both are exact for a period of whole
Thai days, which every report period is, so the heat-map is the same sum either way.
"""

from __future__ import annotations

from collections.abc import Iterable

from collector.analytics.filters import DateRange
from collector.storage import Driver, Row

_WEEKDAY = "((day + 3) % 7)"  # 1970-01-01 (day 0) was a Thursday; Monday = 0


async def split_by_agency(driver: Driver, offices: Iterable[str]) -> tuple[list[str], list[str]]:
    """(agencies whose every office is in ``offices``, the offices of the other agencies)."""
    wanted = set(offices)
    rows = await driver.fetch("SELECT office_id, coalesce(agency_id, '') AS agency FROM offices")
    members: dict[str, list[str]] = {}
    for r in rows:
        members.setdefault(r["agency"], []).append(r["office_id"])
    whole = sorted(a for a, ids in members.items() if all(o in wanted for o in ids))
    covered = {o for a in whole for o in members[a]}
    return whole, sorted(wanted - covered)


async def agency_cells(driver: Driver, agencies: list[str], period: DateRange) -> list[Row]:
    """Ratings per Thai weekday and hour of ``agencies`` in ``period``."""
    if not agencies:
        return []
    marks = ", ".join("?" for _ in agencies)
    first = (period.start_ms + 25_200_000) // 86_400_000
    after = (period.end_ms + 25_200_000) // 86_400_000
    sql = (  # only "?" placeholders and constant expressions are joined in
        f"SELECT {_WEEKDAY} AS weekday, hour, sum(n) AS n, sum(total) AS total, "  # noqa: S608
        f"sum(verified) AS verified FROM rating_agency_hours WHERE agency_id IN ({marks}) "
        f"AND day >= ? AND day < ? GROUP BY {_WEEKDAY}, hour"
    )
    return await driver.fetch(sql, *agencies, first, after)


def merged(*parts: list[Row]) -> list[Row]:
    """Cell rows (weekday, hour, n, total, verified) of several sources summed per cell."""
    cells: dict[tuple[int, int], list[float]] = {}
    for rows in parts:
        for r in rows:
            entry = cells.setdefault((int(r["weekday"]), int(r["hour"])), [0, 0.0, 0])
            entry[0] += int(r["n"])
            entry[1] += float(r["total"])
            entry[2] += int(r["verified"])
    return [
        {"weekday": w, "hour": h, "n": int(n), "total": total, "verified": int(verified)}
        for (w, h), (n, total, verified) in sorted(cells.items())
    ]
