"""Fleet-wide gauges for Prometheus, computed from the stored rows before each scrape.

The alerting rules (firmware-config/prometheus/) need denominators and fleet totals that the
per-kind alert counts do not give: how many registered devices are online, offline or never
heard from (offline share), the events waiting in the devices' outboxes and the age of the
oldest one (the end-to-end ingest lag a device sees), and when any device was last heard from
(ingest stalled). One read of the fleet rows; nothing kept in memory.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from collector.config import Settings
from collector.fleet import device_rows, online
from collector.storage import Driver

DEVICE_STATES = ("online", "offline", "never_seen")


@dataclass(frozen=True, slots=True)
class FleetGauges:
    devices: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DEVICE_STATES, 0))
    outbox_depth: float = 0.0
    outbox_oldest_s: float = 0.0
    last_heard_s: float | None = None


async def fleet_gauges(driver: Driver, settings: Settings) -> FleetGauges:
    """Registered devices by state; outbox totals and last-heard time over every device."""
    now_ms = int(time.time() * 1000)
    devices = dict.fromkeys(DEVICE_STATES, 0)
    depth = oldest = 0.0
    last_heard: int | None = None
    for row in await device_rows(driver):
        last = row.get("last_seen_ms")
        if last is not None:
            last_heard = last if last_heard is None else max(last_heard, last)
        if row.get("office_id") is not None:
            if last is None:
                devices["never_seen"] += 1
            else:
                devices["online" if online(row, settings, now_ms) else "offline"] += 1
        heartbeat = json.loads(row["heartbeat"]) if row.get("heartbeat") else {}
        depth += float(heartbeat.get("outbox_depth") or 0)
        oldest = max(oldest, float(heartbeat.get("outbox_oldest_s") or 0))
    return FleetGauges(
        devices=devices,
        outbox_depth=depth,
        outbox_oldest_s=oldest,
        last_heard_s=None if last_heard is None else last_heard / 1000,
    )
