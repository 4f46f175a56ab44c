"""Office pins from device locations: a robust estimate with provenance, accuracy and flags.

GPS fixes pass a quality filter (source gps, a 2D/3D fix, HDOP and accuracy thresholds); the pin is
the median of what survives outlier rejection (distance from the median beyond 3 scaled MADs),
and needs a minimum number of fixes. Without enough fixes a ``provisioned`` location (typed in
at enrolment) stands in, then the office's registered location. A ``manual`` pin set over the API
wins over both until it is cleared.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from collector.config import Settings
from collector.geo import distance_m
from collector.provinces import province_box
from collector.storage import Driver, Row

_LOGGER = logging.getLogger(__name__)
_FIXES_PER_OFFICE = 500
MAD_SCALE = 1.4826  # turns a median absolute deviation into a standard-deviation estimate
MAX_FIX_WEIGHT = 60
"""A consolidated fix counts as at most this many fixes (a minute of 1 Hz fixes)."""


@dataclass(frozen=True, slots=True)
class Fix:
    lat: float
    lon: float
    source: str
    accuracy_m: float | None
    hdop: float | None
    fix: str | None
    samples: int | None = None  # a consolidated fix stands for this many fixes
    spread_m: float | None = None


@dataclass(frozen=True, slots=True)
class PinEstimate:
    lat: float
    lon: float
    source: str
    accuracy_m: float | None
    fixes: int
    rejected: int


def good_fix(f: Fix, *, max_hdop: float, max_accuracy_m: float) -> bool:
    """A GPS fix worth using: a real fix, and a known, small enough error."""
    if f.source != "gps" or f.fix not in ("2d", "3d"):
        return False
    if f.hdop is None and f.accuracy_m is None:
        return False
    if f.hdop is not None and f.hdop > max_hdop:
        return False
    return f.accuracy_m is None or f.accuracy_m <= max_accuracy_m


def estimate_gps_pin(
    fixes: Sequence[Fix], *, min_fixes: int, max_hdop: float, max_accuracy_m: float
) -> PinEstimate | None:
    """The robust GPS pin of ``fixes``, or None when too few good fixes remain.

    A consolidated fix (``samples`` > 1, the agent's median of that many fixes) counts as
    ``samples`` fixes, at most :data:`MAX_FIX_WEIGHT`; the pin's accuracy is then no better than
    the spread the agent measured.
    """
    good = [
        weighted
        for f in fixes
        if good_fix(f, max_hdop=max_hdop, max_accuracy_m=max_accuracy_m)
        for weighted in [f] * min(MAX_FIX_WEIGHT, max(1, f.samples or 1))
    ]
    if len(good) < min_fixes:
        return None
    lat = statistics.median(f.lat for f in good)
    lon = statistics.median(f.lon for f in good)
    dists = [distance_m(lat, lon, f.lat, f.lon) for f in good]
    mad = statistics.median(abs(d - statistics.median(dists)) for d in dists)
    limit = statistics.median(dists) + 3 * MAD_SCALE * max(mad, 1.0)
    kept = [f for f, d in zip(good, dists, strict=True) if d <= limit]
    if len(kept) < min_fixes:
        return None
    lat = statistics.median(f.lat for f in kept)
    lon = statistics.median(f.lon for f in kept)
    spread = sorted(distance_m(lat, lon, f.lat, f.lon) for f in kept)
    # 68 % of the kept fixes lie within this radius; the median itself is better than one fix.
    p68 = spread[min(len(spread) - 1, int(0.68 * len(spread)))]
    spreads = [f.spread_m for f in kept if f.spread_m is not None]
    accuracy = round(max(1.0, p68, statistics.median(spreads) if spreads else 0.0), 1)
    return PinEstimate(lat, lon, "gps", accuracy, len(kept), len(good) - len(kept))


def provisioned_pin(fixes: Iterable[Fix]) -> PinEstimate | None:
    """The last provisioned location of the office's devices (the list is oldest first)."""
    last = None
    for f in fixes:
        if f.source == "provisioned":
            last = f
    if last is None:
        return None
    return PinEstimate(last.lat, last.lon, "provisioned", last.accuracy_m, 1, 0)


async def recompute_office_pin(driver: Driver, office_id: str, settings: Settings) -> None:
    """Refresh the stored pin of one office from its devices' locations (manual pins stay)."""
    rows = await driver.fetch(
        "SELECT l.lat, l.lon, l.source, l.accuracy_m, l.hdop, l.fix, l.samples, l.spread_m "
        "FROM locations l "
        "JOIN devices d ON d.device_id = l.device_id WHERE d.office_id = ? "
        "ORDER BY l.received_ms DESC, l.id DESC LIMIT ?",  # newest received: device clocks lie
        office_id,
        _FIXES_PER_OFFICE,
    )
    fixes = [Fix(**r) for r in reversed(rows)]
    pin = estimate_gps_pin(
        fixes,
        min_fixes=settings.pin_min_fixes,
        max_hdop=settings.pin_max_hdop,
        max_accuracy_m=settings.pin_max_accuracy_m,
    ) or provisioned_pin(fixes)
    if pin is None:
        return
    await _store_pin(driver, office_id, pin, keep_manual=True)


async def _store_pin(
    driver: Driver, office_id: str, pin: PinEstimate, *, keep_manual: bool
) -> None:
    now = int(time.time() * 1000)
    async with driver.transaction() as tx:
        current = await tx.fetchrow("SELECT source FROM office_pins WHERE office_id = ?", office_id)
        if current is None:
            await tx.execute(
                "INSERT INTO office_pins (office_id, lat, lon, source, accuracy_m, fixes, "
                "rejected, computed_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                office_id,
                pin.lat,
                pin.lon,
                pin.source,
                pin.accuracy_m,
                pin.fixes,
                pin.rejected,
                now,
            )
        elif not (keep_manual and current["source"] == "manual"):
            await tx.execute(
                "UPDATE office_pins SET lat = ?, lon = ?, source = ?, accuracy_m = ?, fixes = ?, "
                "rejected = ?, computed_ms = ? WHERE office_id = ?",
                pin.lat,
                pin.lon,
                pin.source,
                pin.accuracy_m,
                pin.fixes,
                pin.rejected,
                now,
                office_id,
            )


async def set_manual_pin(
    driver: Driver, office_id: str, lat: float, lon: float, accuracy_m: float | None
) -> None:
    await _store_pin(
        driver, office_id, PinEstimate(lat, lon, "manual", accuracy_m, 0, 0), keep_manual=False
    )


async def clear_manual_pin(driver: Driver, office_id: str, settings: Settings) -> None:
    """Drop a manual pin and fall back to the devices' locations."""
    async with driver.transaction() as tx:
        await tx.execute(
            "DELETE FROM office_pins WHERE office_id = ? AND source = 'manual'", office_id
        )
    await recompute_office_pin(driver, office_id, settings)


async def offices_of_devices(driver: Driver, device_ids: Iterable[str]) -> list[str]:
    ids = sorted(set(device_ids))
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    rows = await driver.fetch(
        f"SELECT DISTINCT office_id FROM devices WHERE device_id IN ({marks})",  # noqa: S608
        *ids,
    )
    return [r["office_id"] for r in rows]


def effective_pin(office: Row, pin: Row | None) -> tuple[float, float, str, float | None] | None:
    """(lat, lon, source, accuracy) shown on the map: the stored pin, else the registered point.

    A registered point is provisioning data typed in by people, so it is shown as
    ``provisioned`` (``pin_detail`` tells it apart from a device's provisioned location).
    """
    if pin is not None:
        return pin["lat"], pin["lon"], pin["source"], pin["accuracy_m"]
    if office["lat"] is not None and office["lon"] is not None:
        return office["lat"], office["lon"], "provisioned", None
    return None


def pin_flags(
    offices: Sequence[Row],
    pins: dict[str, tuple[float, float, str, float | None]],
    settings: Settings,
) -> dict[str, list[str]]:
    """Flags per office: ``far_from_registered``, ``outside_province``, ``shared_pin:<other>``."""
    flags: dict[str, list[str]] = {o["office_id"]: [] for o in offices}
    for office in offices:
        oid = office["office_id"]
        pin = pins.get(oid)
        if pin is None:
            continue
        lat, lon = pin[0], pin[1]
        if office["lat"] is not None and office["lon"] is not None:
            far = distance_m(lat, lon, office["lat"], office["lon"])
            if far > settings.pin_far_from_registered_m:
                flags[oid].append("far_from_registered")
        box = province_box(office["province"] or "")
        if box is not None and not box.contains(lat, lon):
            flags[oid].append("outside_province")
    # Two offices on one point: bucket by ~1 km cells, compare within neighbouring cells only.
    cells: dict[tuple[int, int], list[str]] = {}
    for oid, (lat, lon, _s, _a) in pins.items():
        cells.setdefault((int(lat * 100), int(lon * 100)), []).append(oid)
    for (ci, cj), members in cells.items():
        near = [
            o for di in (-1, 0, 1) for dj in (-1, 0, 1) for o in cells.get((ci + di, cj + dj), [])
        ]
        for a in members:
            for b in near:
                if a == b or a not in flags:
                    continue
                pa, pb = pins[a], pins[b]
                if distance_m(pa[0], pa[1], pb[0], pb[1]) <= settings.pin_shared_within_m:
                    flags[a].append(f"shared_pin:{b}")
    return flags
