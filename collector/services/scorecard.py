"""Satisfaction scorecards that a handful of ratings cannot top: counts, intervals, shrinkage.

Each rating is mapped to 1..5 (1 -> 1, top of its scale -> 5). Per office and period the card
gives the count, the raw mean, a 95 % interval of the mean (Wilson score interval of the mean
mapped to 0..1, so that 3 identical ratings still get a wide interval), and the *shrunk* mean
``(n * mean + m * prior) / (n + m)``: the office's mean pulled towards the mean of all offices
by ``m`` = :data:`PRIOR_WEIGHT` pretend ratings. Rankings use the shrunk mean: where offices
average 4.4, 3 ratings of 5 (shrunk to about 4.55) rank below 200 ratings averaging 4.6.
The card opens on the shortest period that has ratings and says when the last one came.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from collector.sql_conditions import given_conditions
from collector.storage import Driver

PRIOR_WEIGHT = 10.0
NEUTRAL_PRIOR = 3.0
PERIOD_DAYS: tuple[tuple[str, int | None], ...] = (
    ("today", 1),
    ("7d", 7),
    ("30d", 30),
    ("365d", 365),
    ("all", None),
)
_SCORE = "(1.0 + 4.0 * (e.score - 1) / (e.scale - 1))"


@dataclass(frozen=True)
class Card:
    count: int
    mean: float | None
    low: float | None
    high: float | None
    shrunk: float | None
    last_ms: int | None

    def as_dict(self) -> dict[str, Any]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v, 3)

        return {
            "count": self.count,
            "mean": r(self.mean),
            "interval_95": [r(self.low), r(self.high)] if self.count else None,
            "shrunk_mean": r(self.shrunk),
            "last_rating_ms": self.last_ms,
        }


def _wilson(p: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a share ``p`` of ``n``: honest for small ``n`` and at 0 or 1."""
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def card(count: int, total: float, prior: float, last_ms: int | None) -> Card:
    """The card of ``count`` ratings summing to ``total`` (on 1..5)."""
    if count == 0:
        return Card(0, None, None, None, None, last_ms)
    mean = total / count
    low, high = _wilson((mean - 1) / 4, count)
    shrunk = (count * mean + PRIOR_WEIGHT * prior) / (count + PRIOR_WEIGHT)
    return Card(count, mean, 1 + 4 * low, 1 + 4 * high, shrunk, last_ms)


async def _sums(
    driver: Driver, since_ms: int | None, office_id: str | None, until_ms: int | None = None
) -> list[dict[str, Any]]:
    where, args = given_conditions(
        ("e.ts_ms >= ?", since_ms), ("e.ts_ms < ?", until_ms), ("d.office_id = ?", office_id)
    )
    sql = (
        f"SELECT d.office_id, count(*) AS n, sum({_SCORE}) AS s, "  # noqa: S608
        f"max(e.ts_ms) AS last_ms FROM events e "
        "JOIN devices d ON d.device_id = e.device_id WHERE e.type = 'rating' "
        f"AND e.scale > 1{where}"
    )
    return await driver.fetch(sql + " GROUP BY d.office_id", *args)


def _prior(rows: Sequence[dict[str, Any]]) -> float:
    n = sum(int(r["n"]) for r in rows)
    return sum(float(r["s"]) for r in rows) / n if n else NEUTRAL_PRIOR


def _since(now_ms: int, days: int | None) -> int | None:
    if days is None:
        return None
    # office-local midnight (UTC+7, no daylight saving) ``days - 1`` days ago
    day_ms, offset = 86_400_000, 7 * 3_600_000
    midnight = (now_ms + offset) // day_ms * day_ms - offset
    return midnight - (days - 1) * day_ms


async def office_scorecard(
    driver: Driver, office_id: str, now_ms: int, until_ms: int | None = None
) -> dict[str, Any]:
    """Cards for every period (ratings before ``until_ms`` if given); ``opens_on`` is the
    shortest period with ratings."""
    periods = []
    opens_on = None
    for name, days in PERIOD_DAYS:
        since = _since(now_ms, days)
        everyone = await _sums(driver, since, None, until_ms)
        prior = _prior(everyone)
        mine = next((r for r in everyone if r["office_id"] == office_id), None)
        c = (
            card(int(mine["n"]), float(mine["s"]), prior, mine["last_ms"])
            if mine
            else card(0, 0.0, prior, None)
        )
        if opens_on is None and c.count:
            opens_on = name
        periods.append({"period": name, "since_ms": since, "prior": round(prior, 3), **c.as_dict()})
    last = next((p["last_rating_ms"] for p in reversed(periods) if p["last_rating_ms"]), None)
    return {
        "office_id": office_id,
        "prior_weight": PRIOR_WEIGHT,
        "opens_on": opens_on,
        "last_rating_ms": last,
        "periods": periods,
    }


async def ranking(
    driver: Driver,
    now_ms: int,
    days: int | None,
    limit: int,
    offset: int,
    *,
    until_ms: int | None = None,
    min_count: int = 1,
) -> list[dict[str, Any]]:
    """Offices ordered by shrunk mean (then count), each with its full card; offices with fewer
    than ``min_count`` ratings are left out (their ratings still count in the prior)."""
    rows = await _sums(driver, _since(now_ms, days), None, until_ms)
    prior = _prior(rows)
    cards = [
        (r["office_id"], card(int(r["n"]), float(r["s"]), prior, r["last_ms"]))
        for r in rows
        if int(r["n"]) >= min_count
    ]
    cards.sort(key=lambda oc: (-(oc[1].shrunk or 0), -oc[1].count, oc[0]))
    return [
        {"rank": offset + i + 1, "office_id": oid, **c.as_dict()}
        for i, (oid, c) in enumerate(cards[offset : offset + limit])
    ]


async def offices_below(
    driver: Driver, now_ms: int, days: int | None, k: int, until_ms: int | None = None
) -> int:
    """How many offices have ratings in the window, but fewer than ``k``."""
    rows = await _sums(driver, _since(now_ms, days), None, until_ms)
    return sum(1 for r in rows if int(r["n"]) < k)
