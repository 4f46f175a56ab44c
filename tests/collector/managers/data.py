"""Generated events for the managers' tests, written through the real ingest writer."""

from __future__ import annotations

import json
import random
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from collector.records import EventRow

THAI = ZoneInfo("Asia/Bangkok")
START = int(datetime(2026, 3, 2, tzinfo=THAI).timestamp() * 1000)  # a Monday
DAY = 86_400_000
HOUR = 3_600_000
QUERY = "from=2026-03-02&to=2026-03-15"


class Seqs:
    """Next seq per device."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def __call__(self, device: str) -> int:
        self._next[device] = self._next.get(device, 0) + 1
        return self._next[device]


def event(
    seqs: Seqs,
    device: str,
    kind: str,
    ts: int,
    *,
    session: str | None = None,
    score: int | None = None,
    scale: int | None = None,
    verified: int | None = None,
    body: dict[str, object] | None = None,
) -> EventRow:
    return EventRow(
        str(uuid.uuid4()),
        device,
        seqs(device),
        kind,
        ts,
        ts,
        session,
        score,
        scale,
        verified,
        json.dumps(body or {}, separators=(",", ":")),
    )


def rating(seqs: Seqs, device: str, ts: int, rng: random.Random, scale: int = 5) -> EventRow:
    return event(
        seqs,
        device,
        "rating",
        ts,
        score=rng.randint(1, scale),
        scale=scale,
        verified=rng.randint(0, 1),
    )


def norm(score: int, scale: int) -> float:
    return 1 + 4 * (score - 1) / (scale - 1)


def local_day(ts_ms: int) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, THAI).date().isoformat()
