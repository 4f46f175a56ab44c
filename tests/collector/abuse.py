"""Hostile or broken device payloads for the ingest-bounds tests (issue 13 items 1, 2, 6)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from collector.records import RawMessage
from protocols import (
    Channel,
    Heartbeat,
    HeartbeatBody,
    Location,
    LocationBody,
    Rating,
    RatingBody,
    encode,
    new_message_id,
    topic,
)

DAY = timedelta(days=1)


def at(offset: timedelta) -> datetime:
    """A device clock ``offset`` away from now."""
    return datetime.now(UTC) + offset


def rating_at(device: str, seq: int, ts: datetime, score: int = 4) -> bytes:
    body = RatingBody(session=None, score=score, scale=5, verified=False)
    return encode(Rating(v=1, id=new_message_id(), device=device, ts=ts, seq=seq, body=body))


def heartbeat_at(device: str, ts: datetime, **fields: Any) -> bytes:
    body: dict[str, Any] = {
        "uptime_s": 10.0,
        "sw_version": "1.0.0",
        "last_seq": 0,
        "outbox_depth": 0,
        "reader": "present",
        "panel": "ok",
        "gps": "fix",
        "clock_synced": True,
    }
    body.update(fields)
    return encode(
        Heartbeat(v=1, id=new_message_id(), device=device, ts=ts, body=HeartbeatBody(**body))
    )


def fix_at(device: str, ts: datetime, lat: float, lon: float) -> bytes:
    body = LocationBody(lat=lat, lon=lon, source="gps", accuracy_m=4.0, hdop=0.8, sats=9, fix="3d")
    return encode(Location(v=1, id=new_message_id(), device=device, ts=ts, body=body))


def received(
    device: str,
    channel: Channel,
    payload: bytes,
    *,
    after_ms: int = 0,
    retain: bool = False,
    qos: int = 1,
) -> RawMessage:
    """A message as the subscriber hands it over, received ``after_ms`` from now."""
    now_ms = int(time.time() * 1000) + after_ms
    return RawMessage(topic(device, channel), payload, 1, qos, now_ms, 1, retain)
