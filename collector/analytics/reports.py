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
from datetime import datetime, timedelta
from typing import Any

from collector.analytics.filters import BANGKOK, DateRange
from collector.storage import Driver, Row

FORMULA = "RS = (M·W + m·n) / (W + n)"


def normalised(score: int, scale: int) -> float:
    return 1 + 4 * (score - 1) / (scale - 1)


async def rollup_rows(driver: Driver, offices: Iterable[str], period: DateRange) -> list[Row]:
    ids = sorted(set(offices))
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    sql = (  # only "?" placeholders are joined in
        "SELECT office_id, hour_ms, scale, score, verified, sum(n) AS n FROM rating_rollups "  # noqa: S608
        "WHERE office_id IN (" + marks + ") AND hour_ms >= ? AND hour_ms < ? "
        "GROUP BY office_id, hour_ms, scale, score, verified"
    )
    return await driver.fetch(
        sql,
        *ids,
        period.start_ms,
        period.end_ms,
    )


def heatmap(rows: list[Row], k: int) -> list[dict[str, Any]]:
    """168 cells, Monday 00:00 first (Thai time)."""
    sums: dict[tuple[int, int], list[float]] = {}
    for r in rows:
        local = datetime.fromtimestamp(r["hour_ms"] / 1000, BANGKOK)
        cell = sums.setdefault((local.weekday(), local.hour), [0, 0.0])
        cell[0] += int(r["n"])
        cell[1] += int(r["n"]) * normalised(r["score"], r["scale"])
    cells = []
    for weekday in range(7):
        for hour in range(24):
            n, total = sums.get((weekday, hour), [0, 0.0])
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
    per: dict[str, list[float]] = {}
    for r in rows:
        entry = per.setdefault(r["office_id"], [0, 0.0, 0])
        entry[0] += int(r["n"])
        entry[1] += int(r["n"]) * normalised(r["score"], r["scale"])
        entry[2] += int(r["n"]) if r["verified"] else 0
    total_n = sum(e[0] for e in per.values())
    overall = sum(e[1] for e in per.values()) / total_n if total_n else None
    offices: list[dict[str, Any]] = []
    for office_id, (n, total, verified) in per.items():
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


def _bucket(hour_ms: int, grain: str) -> str:
    local = datetime.fromtimestamp(hour_ms / 1000, BANGKOK).date()
    if grain == "week":
        return (local - timedelta(days=local.weekday())).isoformat()  # the week's Monday
    if grain == "month":
        return local.strftime("%Y-%m")
    return local.isoformat()


def trend(rows: list[Row], grain: str, k: int) -> list[dict[str, Any]]:
    """Per day, week (Monday) or month: ratings, mean (1..5), verified share; < k suppressed."""
    per: dict[str, list[float]] = {}
    for r in rows:
        entry = per.setdefault(_bucket(r["hour_ms"], grain), [0, 0.0, 0])
        entry[0] += int(r["n"])
        entry[1] += int(r["n"]) * normalised(r["score"], r["scale"])
        entry[2] += int(r["n"]) if r["verified"] else 0
    points = []
    for period, (n, total, verified) in sorted(per.items()):
        hidden = n < k
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
    """Ratings per (scale, score); counts below k (but above 0) suppressed."""
    counts: dict[tuple[int, int], int] = {}
    for r in rows:
        key = (int(r["scale"]), int(r["score"]))
        counts[key] = counts.get(key, 0) + int(r["n"])
    out = []
    for (scale, score), n in sorted(counts.items()):
        hidden = n < k
        out.append(
            {"scale": scale, "score": score, "n": None if hidden else n, "suppressed": hidden}
        )
    return out
