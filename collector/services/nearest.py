"""Nearest offices (offering a service) from a point, by great-circle distance.

A bounding box, widened fourfold until enough offices lie within its inscribed circle, limits
what the database returns; distances are then exact (haversine) here.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from collector.geo import distance_m
from collector.services.catalogue import hours_of, spans_for
from collector.services.directions import directions
from collector.services.hours import open_state
from collector.storage import Driver

FIRST_RADIUS_M = 25_000.0
EARTH_HALF_CIRCUMFERENCE_M = 20_037_509.0
_PIN = (
    "SELECT o.office_id, o.name_th, o.name_en, o.address, o.province, "
    "COALESCE(p.lat, o.lat) AS lat, COALESCE(p.lon, o.lon) AS lon, "
    "CASE WHEN p.office_id IS NULL THEN 'provisioned' ELSE p.source END AS pin_source, "
    "p.accuracy_m AS accuracy_m, p.fixes AS fixes FROM offices o "
    "LEFT JOIN office_pins p ON p.office_id = o.office_id "
)


def _box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    dlat = math.degrees(radius_m / 6_371_008.8)
    cos = math.cos(math.radians(lat))
    dlon = 180.0 if cos < 1e-6 else min(180.0, dlat / cos)
    if lon - dlon < -180 or lon + dlon > 180:
        dlon = 180.0  # the box would cross the antimeridian: take every longitude
        return lat - dlat, lat + dlat, -180.0, 180.0
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


async def _candidates(
    driver: Driver, service_id: str | None, box: tuple[float, float, float, float]
) -> list[dict[str, Any]]:
    join = (
        "JOIN office_services s ON s.office_id = o.office_id AND s.service_id = ? "
        if service_id
        else ""
    )
    sql = (
        _PIN.replace("FROM offices o ", f"FROM offices o {join}")
        + "WHERE COALESCE(p.lat, o.lat) BETWEEN ? AND ? AND COALESCE(p.lon, o.lon) BETWEEN ? AND ?"
    )
    args: list[Any] = [service_id] if service_id else []
    return await driver.fetch(sql, *args, *box)


async def nearest(
    driver: Driver,
    lat: float,
    lon: float,
    *,
    service_id: str | None = None,
    limit: int = 10,
    now: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """Up to ``limit`` offices by distance from ``(lat, lon)``, each with open state and links."""
    radius = FIRST_RADIUS_M
    while True:
        rows = await _candidates(driver, service_id, _box(lat, lon, radius))
        for r in rows:
            r["distance_m"] = distance_m(lat, lon, r["lat"], r["lon"])
        within = [r for r in rows if r["distance_m"] <= radius]
        if len(within) >= limit or radius >= EARTH_HALF_CIRCUMFERENCE_M:
            break
        radius = min(radius * 4, EARTH_HALF_CIRCUMFERENCE_M)
    within.sort(key=lambda r: (r["distance_m"], r["office_id"]))
    chosen = within[:limit]
    hours = await hours_of(driver, [r["office_id"] for r in chosen])
    when = now or dt.datetime.now(dt.UTC)
    out = []
    for r in chosen:
        spans = spans_for(hours, r["office_id"], service_id or "")
        out.append(
            {
                "office_id": r["office_id"],
                "name_th": r["name_th"],
                "name_en": r["name_en"],
                "address": r["address"],
                "distance_m": round(r["distance_m"], 1),
                "pin": {
                    "lat": r["lat"],
                    "lon": r["lon"],
                    "source": r["pin_source"],
                    "accuracy_m": r["accuracy_m"],
                    "fixes": r["fixes"],
                },
                "hours_known": bool(spans),
                **(open_state(spans, when).as_dict() if spans else {"open_now": None}),
                "directions": directions(r["lat"], r["lon"], r["name_th"], (lat, lon)),
            }
        )
    return out
