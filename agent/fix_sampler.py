"""Consolidated GPS fixes: sample good fixes for a while, then send one median with its spread.

A newly installed counter should give its office a trustworthy pin within minutes. One fix is
noisy; the collector used to wait for several fixes sent 15 minutes apart. Instead the tracker
feeds every good fix of the first ``window_s`` seconds (after start, or after a move) to a
:class:`FixSampler`, which then yields one ``LocationBody`` with the median position, the radius
holding 68 % of the samples (``spread_m``), their number (``samples``) and the window length.
The collector weighs such a fix as ``samples`` fixes (collector/pins.py).
"""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING

from agent.geo import distance_m
from agent.wire import LocationBody

if TYPE_CHECKING:
    from agent.location import Fix


class FixSampler:
    """Collects fixes from ``started_at`` until ``window_s`` has passed or ``max_fixes`` came."""

    def __init__(self, started_at: float, window_s: float, max_fixes: int) -> None:
        self.started_at = started_at
        self.window_s = window_s
        self.max_fixes = max_fixes
        self.fixes: list[Fix] = []

    def add(self, fix: Fix) -> None:
        if len(self.fixes) < self.max_fixes:
            self.fixes.append(fix)

    def due(self, now: float) -> bool:
        return len(self.fixes) >= self.max_fixes or (
            now - self.started_at >= self.window_s and len(self.fixes) >= 2
        )

    def body(self, now: float) -> LocationBody:
        """The consolidated fix (needs at least one sample)."""
        fixes = self.fixes
        lat = statistics.median(f.lat for f in fixes)
        lon = statistics.median(f.lon for f in fixes)
        dists = sorted(distance_m(lat, lon, f.lat, f.lon) for f in fixes)
        spread = round(dists[min(len(dists) - 1, int(0.68 * len(dists)))], 1)
        hdops = [f.hdop for f in fixes if f.hdop is not None]
        sats = [f.sats for f in fixes if f.sats is not None]
        return LocationBody(
            lat=lat,
            lon=lon,
            source="gps",
            accuracy_m=max(1.0, spread),
            hdop=round(statistics.median(hdops), 2) if hdops else None,
            sats=int(statistics.median(sats)) if sats else None,
            fix="3d" if all(f.mode >= 3 for f in fixes) else "2d",
            samples=len(fixes),
            spread_m=spread,
            window_s=round(min(now - self.started_at, 86_400.0), 1),
        )
