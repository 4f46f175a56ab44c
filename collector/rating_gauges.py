"""National satisfaction gauges for Prometheus/Grafana, from ``rating_rollups`` at scrape time.

Over the last 24 hours of event time, all offices together (no office label: a national figure
reveals nothing about one counter): counts by scale, score and verified, and the mean mapped
onto 1..5 as the ratings API does (``1 + (score - 1) * 4 / (scale - 1)``). One indexed query.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from collector.storage import Driver

WINDOW_MS = 24 * 3600 * 1000


@dataclass(frozen=True, slots=True)
class RatingGauges:
    counts: dict[tuple[int, int, bool], int] = field(default_factory=dict)
    mean: float | None = None


async def rating_gauges(driver: Driver) -> RatingGauges:
    since = int(time.time() * 1000) - WINDOW_MS
    rows = await driver.fetch(
        "SELECT scale, score, verified, sum(CAST(n AS DOUBLE PRECISION)) AS n FROM rating_rollups "
        "WHERE hour_ms >= ? GROUP BY scale, score, verified",
        since,
    )
    counts: dict[tuple[int, int, bool], int] = {}
    total = weighted = 0.0
    for row in rows:
        scale, score, n = int(row["scale"]), int(row["score"]), float(row["n"] or 0)
        key = (scale, score, bool(row["verified"]))
        counts[key] = counts.get(key, 0) + int(n)
        if scale > 1:
            total += n
            weighted += n * (1 + (score - 1) * 4 / (scale - 1))
    return RatingGauges(counts=counts, mean=weighted / total if total else None)
