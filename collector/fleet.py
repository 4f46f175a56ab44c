"""Fleet state and alerts, derived from what ingest stored (nothing kept in process memory).

Online means: the retained state (or Last Will) says ``online`` and the device was heard from
within the heartbeat timeout. Alerts are computed on request from the stored rows.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from collector import clock_skew
from collector.clock_skew import clock_skews
from collector.config import Settings
from collector.daykeys.alerts import no_day_key_alerts
from collector.geo import distance_m
from collector.storage import Driver, Row

ALERT_KINDS = (
    "offline",
    "reader",
    "panel",
    "outbox_growing",
    "outbox_old",
    "clock_not_synced",
    "clock_skew",
    "seq_gap",
    "seq_lost",
    "far_from_pin",
    "dead_letters",
    "quarantined",
    "no_day_key",
)

_DEVICE_SQL = """
SELECT ids.device_id, d.office_id, d.counter_label, d.credential_fingerprint,
       f.first_seen_ms, f.last_seen_ms, f.state, f.state_ms, f.sw_version, f.heartbeat,
       f.heartbeat_ts_ms, f.heartbeat_received_ms, f.outbox_rising, f.messages,
       s.max_seq, s.acked_seq, s.missing, s.lost
FROM (SELECT device_id FROM devices UNION SELECT device_id FROM fleet_state) ids
LEFT JOIN devices d ON d.device_id = ids.device_id
LEFT JOIN fleet_state f ON f.device_id = ids.device_id
LEFT JOIN device_seq s ON s.device_id = ids.device_id
"""


@dataclass(frozen=True, slots=True)
class Alert:
    kind: str
    device_id: str | None
    office_id: str | None
    detail: str
    since: str | None = None


def iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


def online(row: Row, settings: Settings, now_ms: int) -> bool:
    last = row.get("last_seen_ms")
    if last is None or row.get("state") == "offline":
        return False
    return bool(now_ms - last <= settings.heartbeat_timeout_s * 1000)


HEARTBEAT_FIELDS = (
    "uptime_s",
    "outbox_depth",
    "outbox_oldest_s",
    "reader",
    "panel",
    "gps",
    "clock_synced",
    "cpu_temp_c",
    "load1",
    "mem_used_pct",
    "disk_free_mb",
)
"""Heartbeat fields also shown at the top level of a device (its ``last_seq`` stays nested:
the top-level ``last_seq`` is the highest seq the collector received)."""


def device_view(row: Row, settings: Settings, now_ms: int) -> dict[str, Any]:
    """The API shape of one device: registry, fleet state, latest heartbeat, seq bookkeeping."""
    heartbeat = json.loads(row["heartbeat"]) if row.get("heartbeat") else None
    latest = {name: (heartbeat or {}).get(name) for name in HEARTBEAT_FIELDS}
    return {
        **latest,
        "device_id": row["device_id"],
        "office_id": row.get("office_id"),
        "registered": row.get("office_id") is not None,
        "counter_label": row.get("counter_label"),
        "credential_fingerprint": row.get("credential_fingerprint"),
        "online": online(row, settings, now_ms),
        "state": row.get("state"),
        "last_seen": iso(row.get("last_seen_ms")),
        "first_seen": iso(row.get("first_seen_ms")),
        "sw_version": row.get("sw_version"),
        "heartbeat": heartbeat,
        "heartbeat_at": iso(row.get("heartbeat_ts_ms")),
        "last_seq": int(row.get("max_seq") or 0),
        "acked_seq": int(row.get("acked_seq") or 0),
        "missing_seqs": int(row.get("missing") or 0),
        "lost_seqs": int(row.get("lost") or 0),
        "messages": int(row.get("messages") or 0),
    }


def public_device_view(row: Row, settings: Settings, now_ms: int) -> dict[str, Any]:
    """What anyone may see of a registered device: its office, label and whether it is up."""
    return {
        "device_id": row["device_id"],
        "office_id": row.get("office_id"),
        "counter_label": row.get("counter_label"),
        "online": online(row, settings, now_ms),
    }


async def device_rows(
    driver: Driver,
    *,
    limit: int | None = None,
    offset: int = 0,
    device_id: str | None = None,
    registered_only: bool = False,
    office_ids: frozenset[str] | None = None,
) -> list[Row]:
    """Devices (registered, and heard-of unless ``registered_only``); ``office_ids`` limits
    them to devices registered at those offices (an agency person's scope)."""
    sql = _DEVICE_SQL
    args: list[Any] = []
    where = ["d.device_id IS NOT NULL"] if registered_only else []
    if office_ids is not None:
        ids = sorted(office_ids) or [""]
        where.append("d.office_id IN (" + ", ".join("?" for _ in ids) + ")")
        args.extend(ids)
    if device_id is not None:
        where.append("ids.device_id = ?")
        args.append(device_id)
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY ids.device_id"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        args += [limit, offset]
    return await driver.fetch(sql, *args)


async def _latest_locations(driver: Driver) -> dict[str, Row]:
    rows = await driver.fetch(
        "SELECT l.device_id, l.lat, l.lon FROM locations l JOIN "
        "(SELECT device_id, max(received_ms) AS r FROM locations GROUP BY device_id) x "
        "ON x.device_id = l.device_id AND x.r = l.received_ms"
    )
    return {r["device_id"]: r for r in rows}


def _device_alerts(row: Row, settings: Settings, now_ms: int) -> list[Alert]:
    dev, office = row["device_id"], row.get("office_id")
    alerts: list[Alert] = []

    def add(kind: str, detail: str, since_ms: int | None = None) -> None:
        alerts.append(Alert(kind, dev, office, detail, iso(since_ms)))

    if office is None:
        add("quarantined", "publishes but is not registered", row.get("first_seen_ms"))
    last = row.get("last_seen_ms")
    if last is not None and not online(row, settings, now_ms):
        since = row.get("state_ms") if row.get("state") == "offline" else None
        since = since or int(last + settings.heartbeat_timeout_s * 1000)
        if now_ms - since >= settings.alert_offline_s * 1000:
            add("offline", f"offline for {int((now_ms - since) / 1000)} s", since)
    hb = json.loads(row["heartbeat"]) if row.get("heartbeat") else None
    if hb is not None:
        if hb.get("reader") in ("absent", "error"):
            add("reader", f"card reader {hb['reader']}")
        if hb.get("panel") == "fault":
            add("panel", "button panel fault")
        if hb.get("clock_synced") is False:
            add("clock_not_synced", "device clock not synchronised")
        oldest = hb.get("outbox_oldest_s")
        if oldest is not None and oldest > settings.alert_outbox_age_s:
            add("outbox_old", f"oldest outbox event is {int(oldest)} s old")
        if (row.get("outbox_rising") or 0) >= settings.alert_outbox_rising:
            add("outbox_growing", f"outbox depth {hb.get('outbox_depth')} and growing")
    if (row.get("missing") or 0) > 0:
        add("seq_gap", f"{row['missing']} event(s) missing below seq {row.get('max_seq')}")
    if (row.get("lost") or 0) > 0:
        add("seq_lost", f"{row['lost']} event(s) declared dropped by the device")
    return alerts


async def compute_alerts(driver: Driver, settings: Settings) -> list[Alert]:
    """Every current alert of the fleet, devices first, sorted by kind then device."""
    now_ms = int(time.time() * 1000)
    rows = await device_rows(driver)
    alerts: list[Alert] = []
    for row in rows:
        alerts.extend(_device_alerts(row, settings, now_ms))
    # Devices far from their office pin.
    pins = {
        r["office_id"]: r for r in await driver.fetch("SELECT office_id, lat, lon FROM office_pins")
    }
    locations = await _latest_locations(driver)
    for row in rows:
        loc, office = locations.get(row["device_id"]), row.get("office_id")
        pin = pins.get(office) if office else None
        if loc is None or pin is None:
            continue
        far = distance_m(loc["lat"], loc["lon"], pin["lat"], pin["lon"])
        if far > settings.alert_pin_distance_m:
            alerts.append(
                Alert("far_from_pin", row["device_id"], office, f"{int(far)} m from its office pin")
            )
    since = now_ms - int(settings.alert_dead_letter_window_s * 1000)
    offices = {r["device_id"]: r.get("office_id") for r in rows}
    for r in await driver.fetch(
        "SELECT device_id, count(*) AS n, max(received_ms) AS last FROM dead_letters "
        "WHERE device_id IS NOT NULL AND received_ms >= ? GROUP BY device_id",
        since,
    ):
        alerts.append(
            Alert(
                "dead_letters",
                r["device_id"],
                offices.get(r["device_id"]),
                f"{r['n']} message(s) dead-lettered",
                iso(r["last"]),
            )
        )
    for skew in await clock_skews(driver, settings, now_ms, rows):
        device = skew.device_id
        alerts.append(
            Alert(clock_skew.KIND, device, offices.get(device), skew.detail(), iso(skew.last_ms))
        )
    for device, office, detail, at in await no_day_key_alerts(driver, settings, now_ms, offices):
        alerts.append(Alert("no_day_key", device, office, detail, at))
    alerts.sort(key=lambda a: (a.kind, a.device_id or ""))
    return alerts


def alert_dict(alert: Alert) -> dict[str, Any]:
    return asdict(alert)
