"""Accelerated time for the simulated fleet: past office days in fast-forward, then live.

The simulated wall clock starts in the past (by default 08:20 office time on the previous
working day) and runs ``speed`` times faster than real time until it has caught up with the
real clock; from then on it runs at real speed. So timestamps are always RFC 3339 times in
Asia/Bangkok that are never in the future, and ``monotonic`` never jumps.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from protocols import ICT, now

OPENING_HOUR, OPENING_MINUTE = 8, 20


def previous_working_morning(today: datetime | None = None) -> datetime:
    """08:20 ICT, just before the doors open, on the last weekday before ``today``'s date."""
    local = (today or now()).astimezone(ICT)
    day = local.date() - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return datetime(day.year, day.month, day.day, OPENING_HOUR, OPENING_MINUTE, tzinfo=ICT)


class SimClock:
    """Implements :class:`agent.clock.Clock` for every simulated agent (thread-safe, shared)."""

    def __init__(
        self,
        speed: float,
        start: datetime | None = None,
    ) -> None:
        if speed < 1:
            raise ValueError("speed must be at least 1")
        self.speed = speed
        # At speed 1 there is no catching up: the default is then simply now.
        start = (start or (previous_working_morning() if speed > 1 else now())).astimezone(ICT)
        self._real_start = time.time()
        self._mono_start = time.monotonic()
        lead = self._real_start - start.timestamp()
        if lead < 0:
            raise ValueError("start must not be in the future")
        self.start = start
        # Real seconds until the simulated clock reaches the real one.
        self._catch_up_s = lead / (speed - 1) if speed > 1 else 0.0

    def elapsed(self) -> float:
        """Simulated seconds since the start."""
        real = time.monotonic() - self._mono_start
        fast = min(real, self._catch_up_s)
        return fast * self.speed + (real - fast)

    def monotonic(self) -> float:
        return self.elapsed()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed())

    @property
    def live(self) -> bool:
        """True once the simulated clock has caught up with the real one."""
        return time.monotonic() - self._mono_start >= self._catch_up_s

    def real_seconds(self, simulated: float) -> float:
        """How many real seconds ``simulated`` seconds take at the current rate."""
        return simulated / (1.0 if self.live else self.speed)
