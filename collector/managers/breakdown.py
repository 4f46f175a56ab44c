"""Ratings broken down by counter, channel (buttons, web) or service, k-anonymised.

Counter and channel come from the hourly rollups (``rating_rollups``: buttons under the device's
id with the counter label stamped at ingest, web ratings under ``web:<label>``). Service: a
rating message carries no service (protocols ``RatingBody``), so a rating is attributed to the
service named by a ``copy.made`` event of the same card session, else ``(unknown)``; this reads
the raw events of the period and scope. Groups with fewer than k ratings (but some) show no
count or mean and say ``suppressed``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Literal

from collector.analytics.filters import DateRange
from collector.analytics.reports import normalised
from collector.managers.channels import channel_of, counter_of
from collector.storage import Driver, Row

By = Literal["counter", "channel", "service"]
UNKNOWN_SERVICE = "(unknown)"


def _marks(ids: list[str]) -> str:
    return ", ".join("?" for _ in ids)


async def rollup_rows(driver: Driver, offices: Iterable[str], period: DateRange) -> list[Row]:
    ids = sorted(set(offices))
    if not ids:
        return []
    return await driver.fetch(
        "SELECT office_id, device_id, counter_label, scale, score, verified, sum(n) AS n "  # noqa: S608
        f"FROM rating_rollups WHERE office_id IN ({_marks(ids)}) AND hour_ms >= ? "
        "AND hour_ms < ? GROUP BY office_id, device_id, counter_label, scale, score, verified",
        *ids,
        period.start_ms,
        period.end_ms,
    )


async def service_rows(driver: Driver, offices: Iterable[str], period: DateRange) -> list[Row]:
    """One row per (office, service, scale, score, verified) of *button* ratings."""
    ids = sorted(set(offices))
    if not ids:
        return []
    ratings = await driver.fetch(
        "SELECT office_id, session, scale, score, verified FROM events "  # noqa: S608
        f"WHERE office_id IN ({_marks(ids)}) AND type = 'rating' AND score IS NOT NULL "
        "AND ts_ms >= ? AND ts_ms < ?",
        *ids,
        period.start_ms,
        period.end_ms,
    )
    made = await driver.fetch(
        "SELECT session, body FROM events "  # noqa: S608
        f"WHERE office_id IN ({_marks(ids)}) AND type = 'copy.made' AND session IS NOT NULL "
        "AND ts_ms >= ? AND ts_ms < ?",
        *ids,
        period.start_ms - 86_400_000,
        period.end_ms,
    )
    service_of: dict[str, str] = {}
    for m in made:
        service = _service(m["body"])
        if service:
            service_of.setdefault(m["session"], service)
    counts: dict[tuple[str, str, int, int, int], int] = {}
    for r in ratings:
        service = service_of.get(r["session"] or "", UNKNOWN_SERVICE)
        key = (r["office_id"], service, int(r["scale"]), int(r["score"]), int(r["verified"] or 0))
        counts[key] = counts.get(key, 0) + 1
    return [
        {"office_id": o, "service": s, "scale": sc, "score": v, "verified": ver, "n": n}
        for (o, s, sc, v, ver), n in sorted(counts.items())
    ]


def _service(body: str) -> str | None:
    try:
        value = json.loads(body).get("service")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def is_negative(score: int, scale: int) -> bool:
    """Below the middle of the scale once mapped onto 1..5 (1-2 of 5, 1-2 of 4, 1 of 3):
    ``normalised(score, scale) < 3``, i.e. ``2·score < scale + 1`` (the alerts' SQL form)."""
    return 2 * score < scale + 1


def group_key(row: Row, by: By) -> tuple[str, ...]:
    if by == "channel":
        return (channel_of(row["device_id"]),)
    if by == "counter":
        return (
            row["office_id"],
            channel_of(row["device_id"]),
            counter_of(row["device_id"], row["counter_label"]),
        )
    return (row["office_id"], row["service"])


def breakdown(rows: list[Row], by: By, k: int) -> list[dict[str, Any]]:
    """Groups with n, mean (1..5), share of negative ratings and verified share."""
    per: dict[tuple[str, ...], list[float]] = {}
    for r in rows:
        n = int(r["n"])
        value = normalised(int(r["score"]), int(r["scale"]))
        entry = per.setdefault(group_key(r, by), [0.0, 0.0, 0.0, 0.0])
        entry[0] += n
        entry[1] += n * value
        entry[2] += n if is_negative(int(r["score"]), int(r["scale"])) else 0
        entry[3] += n if r["verified"] else 0
    names = {
        "channel": ("channel",),
        "counter": ("office_id", "channel", "counter"),
        "service": ("office_id", "service"),
    }[by]
    out = []
    for key, (count, total, negative, verified) in sorted(per.items()):
        hidden = 0 < count < k
        out.append(
            {
                **dict(zip(names, key, strict=True)),
                "n": None if hidden else int(count),
                "mean": None if hidden else round(total / count, 3),
                "negative_share": None if hidden else round(negative / count, 4),
                "verified_share": None if hidden else round(verified / count, 4),
                "suppressed": hidden,
            }
        )
    return out
