"""Time as the agent sees it: injectable, so tests and the fleet simulator never sleep."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Protocol

from protocols.plain import now


class Clock(Protocol):
    """``monotonic`` measures intervals; ``now`` stamps messages (device wall clock, ICT)."""

    def monotonic(self) -> float: ...

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return now()
