"""Fleet alert ``clock_skew``: a device whose clock is off by minutes or more.

Two signs, both read from what ingest stored (issue 13 item 1 bounds device times):

- **Ahead.** Within ``CF_ALERT_CLOCK_SKEW_WINDOW_S``, the device sent events or location fixes
  dated more than ``CF_TS_FUTURE_SKEW_S`` after they arrived; ingest clamped them to the receive
  time and kept the device's own time in ``device_ts_ms`` (counted by ``cf_ts_clamped``).
- **Behind.** Its latest heartbeat (published live, never from the outbox) arrived more than
  ``CF_ALERT_CLOCK_SKEW_S`` after the time it carries.

The alert clears by itself: once the window has passed without a clamped message and the latest
heartbeat is on time again. A device with a clock far ahead that sends only heartbeats shows in
``cf_ts_clamped{channel="heartbeat"}`` alone: a clamped heartbeat keeps no device time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from collector.config import Settings
from collector.ingest.decoder import EVENT_CLASSES
from collector.storage import Driver, Row

KIND = "clock_skew"
# The events table is indexed on (type, ts_ms), and a clamped event's ts_ms is its receive time:
# naming every type lets the query read the window's rows only, not the whole table.
_EVENT_TYPES = tuple(str(model.model_fields["type"].default) for model in EVENT_CLASSES)


@dataclass(frozen=True, slots=True)
class Skew:
    device_id: str
    ahead_s: int  # the largest lead seen in the window (0: none)
    ahead_count: int  # clamped messages in the window
    behind_s: int  # how late the latest heartbeat arrived (0: on time)
    last_ms: int | None  # when the evidence arrived

    def detail(self) -> str:
        parts = []
        if self.ahead_count:
            parts.append(
                f"clock ahead: {self.ahead_count} message(s) dated up to {self.ahead_s} s "
                "after they arrived (stored at receive time)"
            )
        if self.behind_s:
            parts.append(
                f"clock behind: latest heartbeat dated {self.behind_s} s before it arrived"
            )
        return "; ".join(parts)


async def _ahead(driver: Driver, since_ms: int) -> list[Row]:
    marks = ", ".join("?" for _ in _EVENT_TYPES)
    events = await driver.fetch(
        "SELECT device_id, count(*) AS n, max(device_ts_ms - ts_ms) AS lead, "  # noqa: S608
        f"max(received_ms) AS last FROM events WHERE type IN ({marks}) AND ts_ms >= ? "
        "AND device_ts_ms IS NOT NULL GROUP BY device_id",
        *_EVENT_TYPES,
        since_ms,
    )
    fixes = await driver.fetch(
        "SELECT device_id, count(*) AS n, max(device_ts_ms - ts_ms) AS lead, "
        "max(received_ms) AS last FROM locations WHERE received_ms >= ? "
        "AND device_ts_ms IS NOT NULL GROUP BY device_id",
        since_ms,
    )
    return [*events, *fixes]


async def clock_skews(
    driver: Driver, settings: Settings, now_ms: int, devices: Iterable[Row]
) -> list[Skew]:
    """Each device with a skewed clock, from the fleet rows of :mod:`collector.fleet`."""
    since_ms = now_ms - int(settings.alert_clock_skew_window_s * 1000)
    ahead: dict[str, tuple[int, int, int]] = {}
    for r in await _ahead(driver, since_ms):
        n, lead, last = ahead.get(r["device_id"], (0, 0, 0))
        ahead[r["device_id"]] = (
            n + int(r["n"]),
            max(lead, int(r["lead"] or 0)),
            max(last, int(r["last"] or 0)),
        )
    limit_ms = int(settings.alert_clock_skew_s * 1000)
    skews: list[Skew] = []
    for row in devices:
        device = row["device_id"]
        ts, received = row.get("heartbeat_ts_ms"), row.get("heartbeat_received_ms")
        behind_s, heard_ms = 0, 0
        if ts is not None and received is not None and int(received) - int(ts) > limit_ms:
            behind_s, heard_ms = (int(received) - int(ts)) // 1000, int(received)
        n, lead_ms, last = ahead.get(device, (0, 0, 0))
        if n or behind_s:
            skews.append(Skew(device, lead_ms // 1000, n, behind_s, max(last, heard_ms)))
    return skews
