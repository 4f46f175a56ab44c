"""When to try a failed delivery again: exponential backoff with jitter, never before Retry-After.

Attempt n (1-based) waits ``base * 2**(n-1)`` capped at ``cap``, scaled by a random factor in
[0.5, 1] ("equal jitter", so a fleet of collectors that failed together does not retry together).
A ``Retry-After`` the centre sent is a floor: the next try is never earlier than it asks.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def delay_s(
    attempts: int,
    *,
    base_s: float,
    cap_s: float,
    retry_after_s: float | None = None,
    rand: random.Random | None = None,
) -> float:
    exp = min(cap_s, base_s * 2 ** max(0, attempts - 1))
    jitter = (rand or random).uniform(0.5, 1.0)
    wait = exp * jitter
    if retry_after_s is not None:
        wait = max(wait, min(retry_after_s, cap_s))
    return float(wait)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date); ``None`` if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
