"""The simulated clock: fast while behind, never ahead of real time, continuous."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest

from protocols import ICT, now
from simulator.sim_clock import SimClock, previous_working_morning


def test_previous_working_morning_skips_the_weekend() -> None:
    monday = datetime(2026, 11, 23, 1, 30, tzinfo=ICT)
    assert previous_working_morning(monday) == datetime(2026, 11, 20, 8, 20, tzinfo=ICT)
    wednesday_utc = datetime(2026, 11, 25, 18, 0, tzinfo=ICT) - timedelta(hours=7)
    assert previous_working_morning(wednesday_utc) == datetime(2026, 11, 24, 8, 20, tzinfo=ICT)


def test_runs_fast_until_it_catches_up_then_live() -> None:
    clock = SimClock(100, now() - timedelta(seconds=20))
    assert not clock.live
    first = clock.now()
    time.sleep(0.1)
    moved = (clock.now() - first).total_seconds()
    assert 8 < moved < 30, moved  # about 100 x 0.1 s
    time.sleep(0.15)  # caught up after 20 / 99 s
    assert clock.live
    lag = (now() - clock.now()).total_seconds()
    assert abs(lag) < 0.05, lag
    assert clock.now().utcoffset() == timedelta(hours=7)
    assert clock.now().isoformat().endswith("+07:00")


def test_monotonic_is_continuous_and_never_ahead_of_real_time() -> None:
    clock = SimClock(1000, now() - timedelta(seconds=5))
    last = clock.monotonic()
    for _ in range(20):
        time.sleep(0.005)
        t = clock.monotonic()
        assert t >= last
        assert clock.now() <= now() + timedelta(milliseconds=5)
        last = t


def test_refuses_a_future_start_or_a_slow_speed() -> None:
    with pytest.raises(ValueError, match="future"):
        SimClock(60, now() + timedelta(hours=1))
    with pytest.raises(ValueError, match="speed"):
        SimClock(0.5)
