"""Device telemetry: heartbeat, location and the retained state document."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from protocols.base import WireModel
from protocols.identifiers import DeviceId, MessageUuid, Timestamp

ReaderStatus = Literal["present", "absent", "error"]
PanelStatus = Literal["ok", "fault"]
GpsStatus = Literal["fix", "nofix", "absent"]
LocationSource = Literal["gps", "provisioned"]


# Ranges of every number (v1 tightening: values outside them were always nonsense).
MAX_COUNT = 2**63 - 1
"""Counters and seqs fit the collector's signed 64-bit columns."""
TEN_YEARS_S = 10 * 366 * 86400.0
Seconds = Annotated[float, Field(ge=0, le=TEN_YEARS_S)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
AccuracyM = Annotated[float, Field(ge=0, le=100_000)]
"""Metres: beyond 100 km a position says nothing about an office."""
Hdop = Annotated[float, Field(ge=0, le=99.99)]
"""NMEA's largest HDOP."""


class HeartbeatBody(WireModel):
    uptime_s: Seconds
    sw_version: Annotated[str, Field(min_length=1, max_length=64)]
    last_seq: Count
    outbox_depth: Count
    outbox_oldest_s: Seconds | None = None
    reader: ReaderStatus
    panel: PanelStatus
    gps: GpsStatus
    clock_synced: bool
    cpu_temp_c: Annotated[float, Field(ge=-60, le=150)] | None = None
    load1: Annotated[float, Field(ge=0, le=10_000)] | None = None
    mem_used_pct: Annotated[float, Field(ge=0, le=100)] | None = None
    disk_free_mb: Annotated[float, Field(ge=0, le=1e12)] | None = None
    # Additive (v1): rating presses ignored as misuse (too fast, or a second rating of a session).
    misuse_presses: Count | None = None
    # Additive (v1): events the outbox could not write at all (full disk, I/O error) since it
    # began; each is also declared by an outbox.dropped when the disk reserve allows.
    lost_events: Count | None = None


class LocationBody(WireModel):
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    source: LocationSource
    accuracy_m: AccuracyM | None = None
    hdop: Hdop | None = None
    sats: Annotated[int, Field(ge=0, le=255)] | None = None
    fix: Literal["2d", "3d"] | None = None
    # Additive (v1): a consolidated fix. ``lat``/``lon`` are then the median of ``samples`` good
    # fixes taken over ``window_s`` seconds and ``spread_m`` the radius holding 68 % of them.
    samples: Annotated[int, Field(ge=1, le=100_000)] | None = None
    spread_m: AccuracyM | None = None
    window_s: Annotated[float, Field(ge=0, le=86_400)] | None = None


class _TelemetryBase(WireModel):
    v: Literal[1]
    id: MessageUuid
    device: DeviceId
    ts: Timestamp


class Heartbeat(_TelemetryBase):
    type: Literal["heartbeat"] = "heartbeat"
    body: HeartbeatBody


class Location(_TelemetryBase):
    type: Literal["location"] = "location"
    body: LocationBody


class State(WireModel):
    """Retained on the ``state`` topic; the Last Will carries ``offline``. No id, ts or type."""

    v: Literal[1]
    device: DeviceId
    state: Literal["online", "offline"]
    sw_version: str | None = None
