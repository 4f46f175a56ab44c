"""A simulated GPS receiver: fixes jittered a few metres around the office, some noisy ones.

Implements :class:`agent.location.LocationSource`. Fixes are pushed by the fleet's driver loop
(:meth:`SimulatedGps.emit`), not by a thread of its own, so a fleet of them costs nothing.
Noisy fixes are of two kinds, as a real receiver indoors gives them: a poor geometry that the
agent's filter drops (large HDOP), and a plausible-looking fix tens of metres off that the
collector's outlier rejection has to remove.
"""

from __future__ import annotations

import math
import random

from agent.geo import EARTH_RADIUS_M
from agent.location import Fix as GpsFix
from agent.location import FixListener, GpsStatus


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    """The point ``north_m``/``east_m`` metres away (flat-earth, fine for metres)."""
    dlat = math.degrees(north_m / EARTH_RADIUS_M)
    dlon = math.degrees(east_m / (EARTH_RADIUS_M * math.cos(math.radians(lat))))
    return lat + dlat, lon + dlon


class SimulatedGps:
    """GPS fixes around (``lat``, ``lon``); a ``noisy_share`` of them are bad."""

    def __init__(
        self,
        lat: float,
        lon: float,
        rng: random.Random,
        *,
        jitter_m: float = 4.0,
        noisy_share: float = 0.1,
    ) -> None:
        self.lat, self.lon = lat, lon
        self._rng = rng
        self._jitter_m = jitter_m
        self._noisy_share = noisy_share
        self._listener: FixListener | None = None
        self._status: GpsStatus = "absent"

    @property
    def status(self) -> GpsStatus:
        return self._status

    def start(self, listener: FixListener) -> None:
        self._listener = listener
        self._status = "nofix"

    def stop(self) -> None:
        self._listener = None
        self._status = "absent"

    def next_fix(self) -> GpsFix:
        rng = self._rng
        if rng.random() < self._noisy_share:
            if rng.random() < 0.5:  # poor geometry: the agent's filter drops it
                north, east = rng.gauss(0, 60), rng.gauss(0, 60)
                hdop, eph, sats, mode = rng.uniform(6, 15), rng.uniform(60, 150), 4, 2
            else:  # multipath: looks fine, lands 40-90 m off
                angle, dist = rng.uniform(0, 2 * math.pi), rng.uniform(40, 90)
                north, east = dist * math.cos(angle), dist * math.sin(angle)
                hdop, eph, sats, mode = rng.uniform(1.2, 2.5), rng.uniform(8, 20), 7, 3
        else:
            north, east = rng.gauss(0, self._jitter_m), rng.gauss(0, self._jitter_m)
            hdop = rng.uniform(0.7, 1.6)
            eph = rng.uniform(2.5, 8.0)
            sats, mode = rng.randint(8, 14), 3
        lat, lon = offset(self.lat, self.lon, north, east)
        return GpsFix(round(lat, 7), round(lon, 7), mode, round(hdop, 2), round(eph, 1), sats)

    def emit(self) -> None:
        """Deliver one fix to the agent (no-op before start or after stop)."""
        listener = self._listener
        if listener is None:
            return
        self._status = "fix"
        listener(self.next_fix())
