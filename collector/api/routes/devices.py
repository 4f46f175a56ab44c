"""Devices: registry and fleet state (public reads), registration, commands (ops)."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from collector.api.deps import CollectorDep, DriverDep, OpsDep, PageDep, RegistrarDep, SettingsDep
from collector.fleet import device_rows, device_view, iso
from collector.registry import DeviceIn, Latitude, Longitude, upsert_device
from protocols import (
    Channel,
    Identify,
    IdentifyBody,
    Ping,
    PingBody,
    ReloadConfig,
    ReloadConfigBody,
    SetLocation,
    SetLocationBody,
    encode,
    new_message_id,
    now,
    topic,
)

router = APIRouter(prefix="/api/v1/devices", tags=["devices"])
DevicePath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{2,63}$")]


class CommandIn(BaseModel):
    """A command for one device; ``lat``/``lon`` only for ``set_location``."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["identify", "reload_config", "set_location", "ping"]
    seconds: Annotated[int, Field(ge=1, le=600)] = 10
    lat: Latitude | None = None
    lon: Longitude | None = None
    accuracy_m: Annotated[float, Field(ge=0)] | None = None
    expires_in_s: Annotated[int, Field(ge=1, le=86400)] = 300


def _now_ms() -> int:
    return int(time.time() * 1000)


@router.get("", summary="Registered and heard-of devices with their fleet state")
async def list_devices(driver: DriverDep, settings: SettingsDep, page: PageDep) -> dict[str, Any]:
    rows = await device_rows(driver, limit=page.limit, offset=page.offset)
    now_ms = _now_ms()
    return {
        "items": [device_view(r, settings, now_ms) for r in rows],
        "next_offset": page.next_offset(len(rows)),
    }


@router.get("/{device_id}", summary="One device: office, online, last_seen, heartbeat, seq")
async def one_device(
    device_id: DevicePath, driver: DriverDep, settings: SettingsDep
) -> dict[str, Any]:
    rows = await device_rows(driver, device_id=device_id)
    if not rows:
        raise HTTPException(
            404, f"device_id: device {device_id!r} is neither registered nor heard of"
        )
    view = device_view(rows[0], settings, _now_ms())
    gaps = await driver.fetch(
        "SELECT from_seq, to_seq, status FROM seq_gaps WHERE device_id = ? "
        "ORDER BY from_seq LIMIT 100",
        device_id,
    )
    view["gaps"] = [g for g in gaps if g["status"] == "open"]
    view["lost"] = [g for g in gaps if g["status"] == "lost"]
    return view


@router.post("", status_code=201, summary="Register a device (technician or ops)")
async def create_device(
    device: DeviceIn, driver: DriverDep, _role: RegistrarDep, response: Response
) -> dict[str, Any]:
    created = await upsert_device(driver, device)
    response.status_code = 201 if created else 200
    return {"device_id": device.device_id, "created": created}


@router.put("/{device_id}", summary="Create or replace a device (technician or ops)")
async def put_device(
    device_id: DevicePath, device: DeviceIn, driver: DriverDep, _role: RegistrarDep
) -> dict[str, Any]:
    if device.device_id != device_id:
        raise HTTPException(422, "device_id: differs from the device id in the path")
    created = await upsert_device(driver, device)
    return {"device_id": device_id, "created": created}


def _command(device_id: str, cmd: CommandIn) -> Identify | ReloadConfig | SetLocation | Ping:
    ts = now()
    expires = ts + timedelta(seconds=cmd.expires_in_s)
    mid = new_message_id()
    if cmd.type == "identify":
        body = IdentifyBody(expires=expires, seconds=cmd.seconds)
        return Identify(v=1, id=mid, device=device_id, ts=ts, body=body)
    if cmd.type == "reload_config":
        return ReloadConfig(
            v=1, id=mid, device=device_id, ts=ts, body=ReloadConfigBody(expires=expires)
        )
    if cmd.type == "ping":
        return Ping(v=1, id=mid, device=device_id, ts=ts, body=PingBody(expires=expires))
    if cmd.lat is None or cmd.lon is None:
        raise HTTPException(422, "lat: set_location needs lat and lon")
    return SetLocation(
        v=1,
        id=mid,
        device=device_id,
        ts=ts,
        body=SetLocationBody(expires=expires, lat=cmd.lat, lon=cmd.lon, accuracy_m=cmd.accuracy_m),
    )


@router.post("/{device_id}/commands", status_code=202, summary="Send a command (ops)")
async def send_command(
    device_id: DevicePath, cmd: CommandIn, collector: CollectorDep, _role: OpsDep
) -> dict[str, Any]:
    if not await device_rows(collector.driver, device_id=device_id):
        raise HTTPException(404, f"device_id: no device {device_id!r} is registered or heard of")
    if collector.subscriber is None or not collector.subscriber.connected:
        raise HTTPException(503, "broker: not connected; the command was not sent")
    message = _command(device_id, cmd)
    body = message.body.model_dump_json()
    async with collector.driver.transaction() as tx:
        await tx.execute(
            "INSERT INTO commands (id, device_id, type, body, created_ms) VALUES (?, ?, ?, ?, ?)",
            str(message.id),
            device_id,
            message.type,
            body,
            _now_ms(),
        )
    collector.subscriber.publish(
        topic(device_id, Channel.COMMANDS), encode(message), Channel.COMMANDS
    )
    return {"id": str(message.id), "device_id": device_id, "type": message.type}


@router.get("/{device_id}/commands", summary="Commands sent to a device and their results (ops)")
async def list_commands(
    device_id: DevicePath, driver: DriverDep, _role: OpsDep, page: PageDep
) -> dict[str, Any]:
    rows = await driver.fetch(
        "SELECT * FROM commands WHERE device_id = ? ORDER BY created_ms DESC LIMIT ? OFFSET ?",
        device_id,
        page.limit,
        page.offset,
    )
    items = [
        {
            "id": r["id"],
            "type": r["type"],
            "body": json.loads(r["body"]),
            "created": iso(r["created_ms"]),
            "result": None
            if r["result_ok"] is None
            else {
                "ok": bool(r["result_ok"]),
                "detail": r["result_detail"],
                "received": iso(r["result_ms"]),
            },
        }
        for r in rows
    ]
    return {"items": items, "next_offset": page.next_offset(len(rows))}
