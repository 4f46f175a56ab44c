"""How citizens use the counters: office hours with peaks, per-office tendencies, misuse.

Everything random comes from a ``random.Random`` seeded per counter, so a run is repeatable
with ``--seed``. Times are office-local (Asia/Bangkok) datetimes of the simulated clock.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from agent.card.citizen_id import check_digit
from protocols import ICT
from simulator.card.synthetic_person import SyntheticPerson

# (start hour, end hour, relative arrival rate): the morning queue, the lunch dip, the
# after-lunch peak, a quiet late afternoon. Closed outside these hours and at weekends.
DAY_PROFILE = (
    (8.5, 9.0, 0.6),
    (9.0, 11.0, 1.0),
    (11.0, 12.0, 0.7),
    (12.0, 13.0, 0.25),
    (13.0, 14.5, 0.9),
    (14.5, 16.5, 0.5),
)
PEAK_VISITS_PER_HOUR = 9.0
MEDIAN_SERVICE_S = 300.0


def arrival_rate(at: datetime) -> float:
    """Relative arrival rate (0..1) at office-local time ``at``."""
    local = at.astimezone(ICT)
    if local.weekday() >= 5:
        return 0.0
    hour = local.hour + local.minute / 60 + local.second / 3600
    for start, end, rate in DAY_PROFILE:
        if start <= hour < end:
            return rate
    return 0.0


def office_rng(office_id: str, seed: int) -> random.Random:
    digest = hashlib.sha256(f"{seed}|{office_id}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))  # noqa: S311 (simulation, not security)


@dataclass(frozen=True, slots=True)
class Tendency:
    """An office's character: how satisfied its visitors are, how many rate, copy habits."""

    quality: float  # 0 (poor service) .. 1 (excellent)
    rate_share: float  # share of card sessions followed by a press
    copy_share: float  # share of sessions where staff still record a demanded copy
    misuse_share: float  # share of raters who press again (impatient or playful)
    walk_up_per_hour: float  # unverified presses by passers-by, at peak
    busyness: float  # multiplies the arrival rate

    def score(self, rng: random.Random, scale: int) -> int:
        """A score 1..scale; better service shifts the weight to the top buttons."""
        weights = [
            math.exp(3.0 * (self.quality - 0.5) * (i - (scale - 1) / 2)) for i in range(scale)
        ]
        # A few unhappy visitors everywhere, whatever the service.
        weights[0] += 0.08 * sum(weights)
        return rng.choices(range(1, scale + 1), weights=weights)[0]


def office_tendency(office_id: str, seed: int, *, big: bool) -> Tendency:
    rng = office_rng(office_id, seed)
    return Tendency(
        quality=rng.uniform(0.2, 0.95),
        rate_share=rng.uniform(0.55, 0.9),
        copy_share=rng.choice([0.0, 0.0, 0.05, 0.15, 0.35]),
        misuse_share=rng.uniform(0.03, 0.12),
        walk_up_per_hour=rng.uniform(0.2, 1.0),
        busyness=rng.uniform(0.9, 1.2) if big else rng.uniform(0.35, 0.8),
    )


def next_arrival(rng: random.Random, after: datetime, busyness: float) -> datetime:
    """The next visitor after ``after`` (a Poisson process thinned by :func:`arrival_rate`)."""
    peak = PEAK_VISITS_PER_HOUR * busyness / 3600.0
    t = after
    for _ in range(100_000):
        t += timedelta(seconds=rng.expovariate(peak))
        if rng.random() < arrival_rate(t):
            return t
    return t


def next_walk_up(rng: random.Random, after: datetime, per_hour: float) -> datetime:
    t = after
    for _ in range(100_000):
        t += timedelta(seconds=rng.expovariate(per_hour / 3600.0))
        if rng.random() < arrival_rate(t):
            return t
    return t


def service_time_s(rng: random.Random) -> float:
    """Most services take a few minutes; a few (name changes, lost cards) take much longer."""
    return min(1800.0, max(45.0, rng.lognormvariate(math.log(MEDIAN_SERVICE_S), 0.6)))


def synthetic_visitor(rng: random.Random) -> SyntheticPerson:
    """A synthetic card holder: province code 99 (no such province), valid checksum."""
    body = "199" + "".join(str(rng.randint(0, 9)) for _ in range(9))
    citizen_id = body + str(check_digit(body))
    year_be = rng.randint(2480, 2550)
    birth = f"{year_be}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    expiry_year = rng.choice([2566, *range(2569, 2576)])  # now and then an expired card
    return SyntheticPerson(
        citizen_id=citizen_id,
        birth_date=birth,
        sex=rng.choice("12"),
        expiry_date=f"{expiry_year}0101",
    )
