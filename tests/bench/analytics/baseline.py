"""The plain SQL figures: raw events, no rollups (what a report without rollups would read)."""

from __future__ import annotations

from typing import Any

from collector.analytics.reports import LOCAL_HOUR, WEEKDAY
from collector.storage import Driver

EVENT_VALUE = "(1 + 4.0 * (score - 1) / (scale - 1))"
EV_HOUR = LOCAL_HOUR.replace("hour_ms", "ts_ms")
EV_WEEKDAY = WEEKDAY.replace("hour_ms", "ts_ms")


async def plain_heatmap(
    driver: Driver, office: str | None, start: int, end: int
) -> dict[tuple[int, int], int]:
    where = "office_id = ? AND " if office else ""
    args: list[Any] = [office] if office else []
    rows = await driver.fetch(
        f"SELECT {EV_WEEKDAY} AS weekday, {EV_HOUR} AS hour, count(*) AS n, "  # noqa: S608
        f"sum({EVENT_VALUE}) AS total FROM events WHERE {where}type = 'rating' "
        f"AND ts_ms >= ? AND ts_ms < ? GROUP BY {EV_WEEKDAY}, {EV_HOUR}",
        *args,
        start,
        end,
    )
    return {(int(r["weekday"]), int(r["hour"])): int(r["n"]) for r in rows}


async def plain_ranking(driver: Driver, start: int, end: int) -> dict[str, int]:
    rows = await driver.fetch(
        f"SELECT office_id, count(*) AS n, sum({EVENT_VALUE}) AS total FROM events "  # noqa: S608
        "WHERE type = 'rating' AND ts_ms >= ? AND ts_ms < ? GROUP BY office_id",
        start,
        end,
    )
    return {r["office_id"]: int(r["n"]) for r in rows}
