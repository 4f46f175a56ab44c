"""Reports over the hourly rollups: hour × weekday heat-map and the ranking of offices.

k-anonymity: a cell (or an office) with fewer than ``k`` ratings, but more than none, is
suppressed (value null, ``suppressed: true``), so one citizen's press at a quiet hour cannot
be read off. Scores of 3-, 4- and 5-point devices are mapped linearly onto 1..5.

Ranking (HappyOrNot's weighted ranking, a Bayesian average): RS = (M·W + m·n) / (W + n), with
m the office's mean, n its ratings, M the mean over every office in the report and W the prior
weight (``CF_RANKING_PRIOR_WEIGHT``): offices with few ratings are pulled towards M.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from collector.analytics.filters import DateRange
from collector.analytics.heatmap_source import agency_cells, merged, split_by_agency
from collector.analytics.office_weeks import merged_offices, week_split, week_sums
from collector.storage import Driver, Row

FORMULA = "RS = (M·W + m·n) / (W + n)"
EPOCH = date(1970, 1, 1)


def normalised(score: int, scale: int) -> float:
    return 1 + 4 * (score - 1) / (scale - 1)


# Thai time is UTC+7 all year: local hour, day and weekday are integer arithmetic on hour_ms,
# the same in SQLite and PostgreSQL (1970-01-01 was a Thursday: weekday 3, Monday = 0).
_LOCAL = "(hour_ms + 25200000)"
LOCAL_DAY = f"({_LOCAL} / 86400000)"
LOCAL_HOUR = f"(({_LOCAL} / 3600000) % 24)"
WEEKDAY = f"(({_LOCAL} / 86400000 + 3) % 7)"
VALUE = "(1 + 4.0 * (score - 1) / (scale - 1))"
SUMS = (
    f"sum(n) AS n, sum(n * {VALUE}) AS total, "
    "sum(CASE WHEN verified = 1 THEN n ELSE 0 END) AS verified"
)


async def _sums(driver: Driver, offices: Iterable[str], period: DateRange, keys: str) -> list[Row]:
    """Rollups of ``offices`` in ``period`` summed per ``keys`` (SQL expressions named above):
    the database does the summing, so a report reads one row per cell, not per device-hour."""
    ids = sorted(set(offices))
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    named = ", ".join(f"{expr} AS {name}" for name, expr in _KEYS[keys])
    group = ", ".join(expr for _name, expr in _KEYS[keys])
    sql = (  # only "?" placeholders and the constant expressions above are joined in
        f"SELECT {named}, {SUMS} FROM rating_rollups "  # noqa: S608
        f"WHERE office_id IN ({marks}) AND hour_ms >= ? AND hour_ms < ? GROUP BY {group}"
    )
    return await driver.fetch(sql, *ids, period.start_ms, period.end_ms)


_KEYS = {
    "cell": (("weekday", WEEKDAY), ("hour", LOCAL_HOUR)),
    "score": (("scale", "scale"), ("score", "score")),
}


async def heatmap_rows(driver: Driver, offices: Iterable[str], period: DateRange) -> list[Row]:
    """Sums per (weekday, hour): whole agencies from ``rating_agency_hours`` (migration 10),
    offices of partly covered agencies from the rollups (``heatmap_source``)."""
    ids = set(offices)
    if not ids:
        return []
    agencies, rest = await split_by_agency(driver, ids)
    return merged(
        await agency_cells(driver, agencies, period), await _sums(driver, rest, period, "cell")
    )


def _days(period: DateRange) -> tuple[int, int]:
    """The period as Thai day numbers: [first, after)."""
    return (period.start_ms + 25_200_000) // 86_400_000, (period.end_ms + 25_200_000) // 86_400_000


async def _day_sums(driver: Driver, ids: list[str], first: int, after: int, key: str) -> list[Row]:
    """From ``rating_office_days`` (one row per office and Thai day, kept by triggers from the
    rollups, migration 9), days [first, after) summed per ``key`` (office_id or day)."""
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    sql = (  # only "?" placeholders and a constant column name are joined in
        f"SELECT {key}, sum(n) AS n, sum(total) AS total, sum(verified) AS verified "  # noqa: S608
        f"FROM rating_office_days WHERE office_id IN ({marks}) AND day >= ? AND day < ? "
        f"GROUP BY {key}"
    )
    return await driver.fetch(sql, *ids, first, after)


async def office_rows(driver: Driver, offices: Iterable[str], period: DateRange) -> list[Row]:
    """Sums per office: the period's whole Thai weeks from ``rating_office_weeks`` (migration
    10), its edge days from ``rating_office_days`` (``office_weeks``): exact, fewer rows."""
    ids = sorted(set(offices))
    if not ids:
        return []
    weeks, edges = week_split(*_days(period))
    parts = [await week_sums(driver, ids, weeks)] if weeks else []
    for first, after in edges:
        parts.append(await _day_sums(driver, ids, first, after, "office_id"))
    return merged_offices(parts)


async def day_rows(driver: Driver, offices: Iterable[str], period: DateRange) -> list[Row]:
    return await _day_sums(driver, sorted(set(offices)), *_days(period), "day")


async def score_rows(driver: Driver, offices: Iterable[str], period: DateRange) -> list[Row]:
    return await _sums(driver, offices, period, "score")


def heatmap(rows: list[Row], k: int) -> list[dict[str, Any]]:
    """168 cells, Monday 00:00 first (Thai time), from :func:`heatmap_rows`."""
    sums = {(int(r["weekday"]), int(r["hour"])): (int(r["n"]), float(r["total"])) for r in rows}
    cells = []
    for weekday in range(7):
        for hour in range(24):
            n, total = sums.get((weekday, hour), (0, 0.0))
            hidden = 0 < n < k
            cells.append(
                {
                    "weekday": weekday,
                    "hour": hour,
                    "n": None if hidden else int(n),
                    "mean": None if hidden or n == 0 else round(total / n, 3),
                    "suppressed": hidden,
                }
            )
    return cells


def ranking(rows: list[Row], names: dict[str, str], k: int, prior_weight: float) -> dict[str, Any]:
    """From :func:`office_rows`."""
    per = {r["office_id"]: (int(r["n"]), float(r["total"]), int(r["verified"])) for r in rows}
    total_n = sum(e[0] for e in per.values())
    overall = sum(e[1] for e in per.values()) / total_n if total_n else None
    offices: list[dict[str, Any]] = []
    for office_id, (n, total, verified) in per.items():
        if n == 0:  # every rollup row of the office deleted: nothing to rank, nothing to show
            continue
        hidden = n < k
        mean = total / n
        shrunk = (overall * prior_weight + total) / (prior_weight + n) if overall else None
        offices.append(
            {
                "office_id": office_id,
                "name": names.get(office_id, office_id),
                "n": None if hidden else int(n),
                "mean": None if hidden else round(mean, 3),
                "verified_share": None if hidden else round(verified / n, 4),
                "score": None if hidden or shrunk is None else round(shrunk, 3),
                "suppressed": hidden,
                "rank": None,  # set below for the offices shown
            }
        )
    offices.sort(key=lambda o: (o["score"] is None, -float(o["score"] or 0), str(o["office_id"])))
    for rank, office in enumerate(o for o in offices if o["score"] is not None):
        office["rank"] = rank + 1
    return {
        "formula": FORMULA,
        "M": round(overall, 3) if overall else None,
        "W": prior_weight,
        "offices": offices,
    }


def _bucket(day: int, grain: str) -> str:
    local = EPOCH + timedelta(days=day)
    if grain == "week":
        return (local - timedelta(days=local.weekday())).isoformat()  # the week's Monday
    if grain == "month":
        return local.strftime("%Y-%m")
    return local.isoformat()


def trend(rows: list[Row], grain: str, k: int) -> list[dict[str, Any]]:
    """Per day, week (Monday) or month, from :func:`day_rows`: ratings, mean (1..5), verified
    share; < k suppressed."""
    per: dict[str, list[float]] = {}
    for r in rows:
        entry = per.setdefault(_bucket(int(r["day"]), grain), [0, 0.0, 0])
        entry[0] += int(r["n"])
        entry[1] += float(r["total"])
        entry[2] += int(r["verified"])
    points = []
    for period, (n, total, verified) in sorted(per.items()):
        hidden = n < k or n == 0
        points.append(
            {
                "period": period,
                "n": None if hidden else int(n),
                "mean": None if hidden else round(total / n, 3),
                "verified_share": None if hidden else round(verified / n, 4),
                "suppressed": hidden,
            }
        )
    return points


def distribution(rows: list[Row], k: int) -> list[dict[str, Any]]:
    """Ratings per (scale, score), from :func:`score_rows`; counts below k (but above 0)
    suppressed."""
    out = []
    for r in sorted(rows, key=lambda r: (int(r["scale"]), int(r["score"]))):
        n = int(r["n"])
        hidden = n < k
        out.append(
            {
                "scale": int(r["scale"]),
                "score": int(r["score"]),
                "n": None if hidden else n,
                "suppressed": hidden,
            }
        )
    return out
