"""Fleet alert ``no_day_key``: a device reached an office-local day without its key.

Raised when, since the office-local midnight, the device reported ``fault`` ``no_day_key`` (a card
was read and its visitor sent as null), unless today's key was acknowledged after that fault; or,
when the collector delivers keys, when today's key, sent before the midnight, is still not
acknowledged although the device has been heard from today (its next card read will fail).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from collector.config import Settings
from collector.storage import Driver, Row

KIND = "no_day_key"


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


async def no_day_key_alerts(
    driver: Driver, settings: Settings, now_ms: int, offices: dict[str, str | None]
) -> list[tuple[str, str | None, str, str | None]]:
    """(device, office, detail, since) for each device without today's key."""
    tz = ZoneInfo(settings.office_timezone)
    today = datetime.fromtimestamp(now_ms / 1000, tz).date()
    midnight = datetime.combine(today, datetime.min.time(), tzinfo=tz)
    since_ms = int(midnight.timestamp() * 1000)
    acked: dict[str, int] = {}
    pending: list[Row] = []
    for row in await driver.fetch(
        "SELECT device_id, acked_ms, first_sent_ms FROM day_key_deliveries WHERE day = ?",
        today.isoformat(),
    ):
        if row["acked_ms"] is not None:
            acked[row["device_id"]] = max(acked.get(row["device_id"], 0), int(row["acked_ms"]))
        elif int(row["first_sent_ms"]) < since_ms:
            pending.append(row)  # sent before midnight, still not taken after it
    found: dict[str, tuple[str, str | None]] = {}
    faults = await driver.fetch(
        "SELECT device_id, body, received_ms FROM events WHERE type = 'fault' AND received_ms >= ? "
        "ORDER BY received_ms",
        since_ms,
    )
    for fault in faults:
        try:
            code = json.loads(fault["body"]).get("code")
        except (ValueError, AttributeError):
            continue
        device, at = fault["device_id"], int(fault["received_ms"])
        if code == KIND and acked.get(device, 0) < at:
            found[device] = (f"no day key for {today.isoformat()}: visitors sent as null", _iso(at))
    heard = {
        r["device_id"]
        for r in await driver.fetch(
            "SELECT device_id FROM fleet_state WHERE last_seen_ms >= ?", since_ms
        )
    }
    for row in pending:
        device = row["device_id"]
        if device in heard and device not in acked and device not in found:
            found[device] = (f"today's ({today.isoformat()}) day key not acknowledged yet", None)
    return [(dev, offices.get(dev), detail, since) for dev, (detail, since) in found.items()]
