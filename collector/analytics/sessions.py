"""Service time from card sessions (session.started → session.ended), and satisfaction by band.

A session's duration is its ``session.ended`` time minus its ``session.started`` time (same
session id, same office as stamped at ingest); sessions missing either end are left out. Ratings
carrying the session id give the satisfaction of each duration band. Bands (and the median and
90th percentile) over fewer than k sessions are suppressed. This reads the raw events of the
period (sessions are not rolled up yet).
"""

from __future__ import annotations

import statistics
from typing import Any

from collector.analytics.filters import DateRange
from collector.analytics.reports import normalised
from collector.storage import Driver

BANDS = (
    (0, 300_000, "<5 min"),
    (300_000, 900_000, "5-15 min"),
    (900_000, 1_800_000, "15-30 min"),
    (1_800_000, None, ">30 min"),
)


async def session_report(
    driver: Driver, offices: list[str], period: DateRange, k: int
) -> dict[str, Any]:
    if not offices:
        return {"sessions": 0, "median_s": None, "p90_s": None, "bands": [], "suppressed": True}
    marks = ", ".join("?" for _ in offices)
    rows = await driver.fetch(
        "SELECT session, type, ts_ms, score, scale FROM events "  # noqa: S608 - placeholders
        f"WHERE office_id IN ({marks}) AND session IS NOT NULL AND ts_ms >= ? AND ts_ms < ? "
        "AND type IN ('session.started', 'session.ended', 'rating')",
        *offices,
        period.start_ms,
        period.end_ms,
    )
    started: dict[str, int] = {}
    ended: dict[str, int] = {}
    scores: dict[str, list[float]] = {}
    for r in rows:
        if r["type"] == "session.started":
            started[r["session"]] = r["ts_ms"]
        elif r["type"] == "session.ended":
            ended[r["session"]] = r["ts_ms"]
        elif r["score"] is not None and r["scale"]:
            scores.setdefault(r["session"], []).append(normalised(r["score"], r["scale"]))
    durations = {s: ended[s] - started[s] for s in started if s in ended and ended[s] >= started[s]}
    n = len(durations)
    hidden = n < k
    ordered = sorted(durations.values())
    bands = []
    for low, high, label in BANDS:
        inside = [s for s, d in durations.items() if d >= low and (high is None or d < high)]
        rated = [v for s in inside for v in scores.get(s, [])]
        small = len(inside) < k
        bands.append(
            {
                "band": label,
                "sessions": None if small else len(inside),
                "ratings": None if small or len(rated) < k else len(rated),
                "mean": None if small or len(rated) < k else round(sum(rated) / len(rated), 3),
                "suppressed": small,
            }
        )
    return {
        "sessions": None if hidden else n,
        "median_s": None if hidden else round(statistics.median(ordered) / 1000, 1),
        "p90_s": None if hidden else round(ordered[int(0.9 * (n - 1))] / 1000, 1),
        "bands": bands,
        "suppressed": hidden,
    }
