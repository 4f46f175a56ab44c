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


class HeartbeatBody(WireModel):
    uptime_s: Annotated[float, Field(ge=0)]
    sw_version: Annotated[str, Field(min_length=1, max_length=64)]
    last_seq: Annotated[int, Field(ge=0)]
    outbox_depth: Annotated[int, Field(ge=0)]
    outbox_oldest_s: Annotated[float, Field(ge=0)] | None = None
    reader: ReaderStatus
    panel: PanelStatus
    gps: GpsStatus
    clock_synced: bool
    cpu_temp_c: float | None = None
    load1: Annotated[float, Field(ge=0)] | None = None
    mem_used_pct: Annotated[float, Field(ge=0, le=100)] | None = None
    disk_free_mb: Annotated[float, Field(ge=0)] | None = None
    # Additive (v1): rating presses ignored as misuse (too fast, or a second rating of a session).
    misuse_presses: Annotated[int, Field(ge=0)] | None = None
    # Additive (v1): events the outbox could not write at all (full disk, I/O error) since it
    # began; each is also declared by an outbox.dropped when the disk reserve allows.
    lost_events: Annotated[int, Field(ge=0)] | None = None


class LocationBody(WireModel):
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    source: LocationSource
    accuracy_m: Annotated[float, Field(ge=0)] | None = None
    hdop: Annotated[float, Field(ge=0)] | None = None
    sats: Annotated[int, Field(ge=0)] | None = None
    fix: Literal["2d", "3d"] | None = None
    # Additive (v1): a consolidated fix. ``lat``/``lon`` are then the median of ``samples`` good
    # fixes taken over ``window_s`` seconds and ``spread_m`` the radius holding 68 % of them.
    samples: Annotated[int, Field(ge=1, le=100_000)] | None = None
    spread_m: Annotated[float, Field(ge=0)] | None = None
    window_s: Annotated[float, Field(ge=0)] | None = None


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
