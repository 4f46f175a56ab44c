"""Ratings summary per office and period.

Devices may use 3-, 4- or 5-point scales. Counts are exact per scale (``by_scale``); the overall
``mean`` is on a 1..5 scale after mapping each score linearly (1 → 1, scale → 5), and
``mean_normalised`` is the same on 0..1. Top-level ``counts`` merges raw scores of all scales, so
read it only when one scale is in use (``scales`` lists them).

Public summaries (every caller but ops) cover closed whole hours only and hide counts below
``CF_K_ANONYMITY`` (null); ``privacy`` in the answer says what was done and the window used.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query

from collector.api.deps import DriverDep, PrincipalDep, SettingsDep, get_principal
from collector.rating_privacy import public_window, suppress
from collector.sql_conditions import given_conditions

# Every route checks a presented credential (401 for a dead token), public ones included.
router = APIRouter(
    prefix="/api/v1/ratings", tags=["ratings"], dependencies=[Depends(get_principal)]
)


def _ms(value: datetime | None, name: str) -> int | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise HTTPException(422, f"{name}: needs an explicit offset (e.g. +07:00 or Z)")
    return int(value.timestamp() * 1000)


@router.get("/summary", summary="Counts per score, mean and verified share", description=__doc__)
async def summary(  # noqa: PLR0917 - FastAPI parameters
    driver: DriverDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    office_id: Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9-]{2,63}$")] = None,
    from_: Annotated[
        datetime | None, Query(alias="from", description="RFC 3339, inclusive")
    ] = None,
    to: Annotated[datetime | None, Query(description="RFC 3339, exclusive")] = None,
) -> dict[str, Any]:
    start, end = _ms(from_, "from"), _ms(to, "to")
    exact = principal.reads_exact_ratings
    if not exact:
        start, end = public_window(start, end, int(time.time() * 1000))
    where, args = given_conditions(
        ("d.office_id = ?", office_id), ("e.ts_ms >= ?", start), ("e.ts_ms < ?", end)
    )
    sql = (
        "SELECT e.scale, e.score, e.verified, count(*) AS n FROM events e "  # noqa: S608
        f"LEFT JOIN devices d ON d.device_id = e.device_id WHERE e.type = 'rating'{where} "
        "GROUP BY e.scale, e.score, e.verified"
    )
    rows = await driver.fetch(sql, *args)
    total = verified = 0
    weighted = 0.0
    counts: dict[str, int] = {}
    by_scale: dict[str, dict[str, Any]] = {}
    for r in rows:
        scale, score, n = int(r["scale"]), int(r["score"]), int(r["n"])
        total += n
        verified += n if r["verified"] else 0
        weighted += n * (score - 1) / (scale - 1)
        counts[str(score)] = counts.get(str(score), 0) + n
        entry = by_scale.setdefault(str(scale), {"counts": {}, "total": 0, "sum": 0})
        entry["counts"][str(score)] = entry["counts"].get(str(score), 0) + n
        entry["total"] += n
        entry["sum"] += n * score
    for entry in by_scale.values():
        entry["mean"] = round(entry.pop("sum") / entry["total"], 3)
    normalised = weighted / total if total else None
    result = {
        "office_id": office_id,
        "from": from_.isoformat() if from_ else None,
        "to": to.isoformat() if to else None,
        "total": total,
        "counts": dict(sorted(counts.items())),
        "mean": round(1 + 4 * normalised, 3) if normalised is not None else None,
        "mean_normalised": round(normalised, 4) if normalised is not None else None,
        "verified_share": round(verified / total, 4) if total else None,
        "scales": sorted(int(s) for s in by_scale),
        "by_scale": by_scale,
        "exact": exact,
        "privacy": None,
    }
    if exact:
        return result
    k = settings.k_anonymity
    public = suppress(result, k)
    public["privacy"] = {
        "window": "closed whole hours",
        "from": _iso(start),
        "to": _iso(end),
        "k": k,
        "note": f"counts below {k} are hidden (null); the hour still running is not included",
    }
    return public


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")
