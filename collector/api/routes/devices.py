"""Devices: the public projection or the fleet view (by caller), registration, commands (ops).

Anonymous callers (and any role without a fleet view) see registered devices only, with
``device_id``, ``office_id``, ``counter_label`` and ``online``; viewer, technician and ops see the
fleet view (fingerprints, versions, heartbeat, seqs, and unregistered devices too); agency admins
and managers see the fleet view of their own offices' devices, and another agency's device
answers 404.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from collector.accounts.guards import visible_offices
from collector.accounts.principal import Principal
from collector.api.deps import (
    CollectorDep,
    DriverDep,
    OpsDep,
    PageDep,
    PrincipalDep,
    RegistrarDep,
    SettingsDep,
    get_principal,
)
from collector.fleet import device_rows, device_view, iso, public_device_view
from collector.registry import DeviceIn, DevicePatch, Latitude, Longitude
from collector.registry_writes import create_device, put_device, update_device
from collector.storage import Driver
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

# Every route checks a presented credential (401 for a dead token), public ones included.
router = APIRouter(
    prefix="/api/v1/devices", tags=["devices"], dependencies=[Depends(get_principal)]
)
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


async def _fleet_scope(driver: Driver, principal: Principal) -> tuple[bool, frozenset[str] | None]:
    """(fleet view?, office ids it is limited to): fleet roles see every device, agency people
    the devices of their own offices, everyone else the public projection."""
    if principal.reads_fleet:
        return True, None
    if principal.reads_agency_fleet:
        return True, await visible_offices(driver, principal)
    return False, None


@router.get("", summary="Devices: the public projection, or the fleet view (scoped) by role")
async def list_devices(
    driver: DriverDep, settings: SettingsDep, page: PageDep, principal: PrincipalDep
) -> dict[str, Any]:
    fleet, offices = await _fleet_scope(driver, principal)
    rows = await device_rows(
        driver,
        limit=page.limit,
        offset=page.offset,
        registered_only=offices is not None or not fleet,
        office_ids=offices,
    )
    now_ms = _now_ms()
    view = device_view if fleet else public_device_view
    return {
        "view": "fleet" if fleet else "public",
        "items": [view(r, settings, now_ms) for r in rows],
        "next_offset": page.next_offset(len(rows)),
    }


@router.get("/{device_id}", summary="One device (public projection, or the fleet view)")
async def one_device(
    device_id: DevicePath, driver: DriverDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, Any]:
    fleet, offices = await _fleet_scope(driver, principal)
    rows = await device_rows(
        driver,
        device_id=device_id,
        registered_only=offices is not None or not fleet,
        office_ids=offices,
    )
    if not rows:
        what = "neither registered nor heard of" if fleet else "not registered"
        if offices is not None:
            what = "not registered at an office of yours"
        raise HTTPException(404, f"device_id: device {device_id!r} is {what}")
    if not fleet:
        return public_device_view(rows[0], settings, _now_ms())
    view = device_view(rows[0], settings, _now_ms())
    gaps = await driver.fetch(
        "SELECT from_seq, to_seq, status FROM seq_gaps WHERE device_id = ? "
        "ORDER BY from_seq LIMIT 100",
        device_id,
    )
    view["gaps"] = [g for g in gaps if g["status"] == "open"]
    view["lost"] = [g for g in gaps if g["status"] == "lost"]
    return view


@router.post(
    "",
    status_code=201,
    summary="Register a new device (technician or ops); 409 when it exists",
    responses={409: {"description": "the device exists (PATCH changes it)"}},
)
async def post_device(
    device: DeviceIn, driver: DriverDep, principal: RegistrarDep
) -> dict[str, Any]:
    await create_device(driver, principal.actor, device, principal.may_write)
    return {"device_id": device.device_id, "created": True, "changed": True}


@router.patch("/{device_id}", summary="Change the fields given (technician or ops)")
async def patch_device(
    device_id: DevicePath, patch: DevicePatch, driver: DriverDep, principal: RegistrarDep
) -> dict[str, Any]:
    changes = patch.model_dump(include=patch.model_fields_set)
    changed = await update_device(driver, principal.actor, device_id, changes, principal.may_write)
    return {"device_id": device_id, "created": False, "changed": changed}


@router.put(
    "/{device_id}",
    summary="Create, or change the fields given (technician or ops; never wipes a field)",
)
async def put_device_route(
    device_id: DevicePath,
    device: DeviceIn,
    driver: DriverDep,
    principal: RegistrarDep,
    response: Response,
) -> dict[str, Any]:
    if device.device_id != device_id:
        raise HTTPException(422, "device_id: differs from the device id in the path")
    created, changed = await put_device(driver, principal.actor, device, principal.may_write)
    response.status_code = 201 if created else 200
    return {"device_id": device_id, "created": created, "changed": changed}


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
    device_id: DevicePath, cmd: CommandIn, collector: CollectorDep, _ops: OpsDep
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
    device_id: DevicePath, driver: DriverDep, _ops: OpsDep, page: PageDep
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
