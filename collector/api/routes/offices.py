"""Offices: the GeoJSON pin map (public), registration (technician/ops, audited), manual pins
(ops, audited)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from collector.accounts.guards import visible_offices
from collector.api.deps import (
    DriverDep,
    OpsDep,
    PageDep,
    PrincipalDep,
    RegistrarDep,
    SettingsDep,
    get_principal,
)
from collector.audit import record
from collector.pins import clear_manual_pin, effective_pin, pin_flags, set_manual_pin
from collector.registry import (
    Latitude,
    Longitude,
    OfficeIn,
    OfficePatch,
    devices_by_office,
    get_office,
)
from collector.registry_writes import create_office, put_office, update_office
from collector.storage import Driver, Row

# Every route checks a presented credential (401 for a dead token), public ones included.
router = APIRouter(
    prefix="/api/v1/offices", tags=["offices"], dependencies=[Depends(get_principal)]
)
OfficePath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{2,63}$")]


class ManualPin(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lat: Latitude
    lon: Longitude
    accuracy_m: Annotated[float, Field(ge=0)] | None = None


async def _features(driver: Driver, settings: Any, offices: list[Row]) -> list[dict[str, Any]]:
    all_offices = await driver.fetch("SELECT * FROM offices")
    stored = {r["office_id"]: r for r in await driver.fetch("SELECT * FROM office_pins")}
    pins = {}
    for o in all_offices:
        pin = effective_pin(o, stored.get(o["office_id"]))
        if pin is not None:
            pins[o["office_id"]] = pin
    flags = pin_flags(all_offices, pins, settings)
    devices = await devices_by_office(driver, [o["office_id"] for o in offices])
    features = []
    for o in offices:
        oid = o["office_id"]
        pin = pins.get(oid)
        stored_pin = stored.get(oid)
        features.append(
            {
                "type": "Feature",
                "id": oid,
                "geometry": {"type": "Point", "coordinates": [pin[1], pin[0]]} if pin else None,
                "properties": {
                    "office_id": oid,
                    "name": o["name_th"],
                    "name_th": o["name_th"],
                    "name_en": o["name_en"],
                    "agency": o["agency"],
                    "agency_id": o.get("agency_id"),
                    "province": o["province"],
                    "address": o["address"],
                    "pin_source": pin[2] if pin else None,
                    "pin_detail": (
                        "registered location"
                        if pin and stored_pin is None
                        else f"{stored_pin['fixes']} fixes, {stored_pin['rejected']} rejected"
                        if stored_pin and stored_pin["source"] == "gps"
                        else None
                    ),
                    "accuracy_m": pin[3] if pin else None,
                    "registered": (
                        {"lat": o["lat"], "lon": o["lon"]} if o["lat"] is not None else None
                    ),
                    "devices": devices.get(oid, []),
                    "flags": flags.get(oid, []),
                },
            }
        )
    return features


@router.get("", summary="Office pins as a GeoJSON FeatureCollection (Point [lon, lat])")
async def list_offices(
    driver: DriverDep, settings: SettingsDep, page: PageDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Every office; an agency admin or manager gets the offices of their scope only."""
    sql, args = "SELECT * FROM offices", []
    scope = await visible_offices(driver, principal) if principal.reads_agency_fleet else None
    if scope is not None:
        ids = sorted(scope) or [""]
        sql += " WHERE office_id IN (" + ", ".join("?" for _ in ids) + ")"
        args.extend(ids)
    offices = await driver.fetch(
        sql + " ORDER BY office_id LIMIT ? OFFSET ?", *args, page.limit, page.offset
    )
    features = await _features(driver, settings, offices)
    return {
        "type": "FeatureCollection",
        "features": features,
        "next_offset": page.next_offset(len(features)),
    }


@router.get("/{office_id}", summary="One office as a GeoJSON Feature")
async def one_office(
    office_id: OfficePath, driver: DriverDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, Any]:
    """404 for an office that does not exist, or (agency people) of another agency."""
    office = await get_office(driver, office_id)
    if principal.reads_agency_fleet and not principal.sees_office(office_id, office["agency_id"]):
        raise HTTPException(404, f"office_id: no office {office_id}")
    return (await _features(driver, settings, [office]))[0]


@router.post(
    "",
    status_code=201,
    summary="Register a new office (technician or ops); 409 when it exists",
    responses={409: {"description": "the office exists (PATCH changes it)"}},
)
async def post_office(
    office: OfficeIn, driver: DriverDep, principal: RegistrarDep
) -> dict[str, Any]:
    await create_office(driver, principal.actor, office, principal.may_write)
    return {"office_id": office.office_id, "created": True, "changed": True}


@router.patch(
    "/{office_id}",
    summary="Change the fields given (technician or ops); a missing lat/lon keeps the location",
)
async def patch_office(
    office_id: OfficePath, patch: OfficePatch, driver: DriverDep, principal: RegistrarDep
) -> dict[str, Any]:
    changes = patch.model_dump(include=patch.model_fields_set)
    changed = await update_office(driver, principal.actor, office_id, changes, principal.may_write)
    return {"office_id": office_id, "created": False, "changed": changed}


@router.put(
    "/{office_id}",
    summary="Create, or change the fields given (technician or ops; never wipes a field)",
)
async def put_office_route(
    office_id: OfficePath,
    office: OfficeIn,
    driver: DriverDep,
    principal: RegistrarDep,
    response: Response,
) -> dict[str, Any]:
    if office.office_id != office_id:
        raise HTTPException(422, "office_id: differs from the office id in the path")
    created, changed = await put_office(driver, principal.actor, office, principal.may_write)
    response.status_code = 201 if created else 200
    return {"office_id": office_id, "created": created, "changed": changed}


@router.put("/{office_id}/pin", summary="Set a manual pin (ops); it wins over GPS")
async def put_pin(
    office_id: OfficePath, pin: ManualPin, driver: DriverDep, principal: OpsDep
) -> dict[str, Any]:
    await get_office(driver, office_id)
    before = await driver.fetchrow("SELECT * FROM office_pins WHERE office_id = ?", office_id)
    await set_manual_pin(driver, office_id, pin.lat, pin.lon, pin.accuracy_m)
    async with driver.transaction() as tx:
        after = pin.model_dump()
        await record(
            tx,
            principal.actor,
            "update",
            entity="pin",
            entity_id=office_id,
            before=before,
            after=after,
        )
    return {"office_id": office_id, "pin_source": "manual"}


@router.delete("/{office_id}/pin", summary="Drop a manual pin (ops); GPS takes over again")
async def delete_pin(
    office_id: OfficePath, driver: DriverDep, settings: SettingsDep, principal: OpsDep
) -> dict[str, Any]:
    await get_office(driver, office_id)
    before = await driver.fetchrow("SELECT * FROM office_pins WHERE office_id = ?", office_id)
    await clear_manual_pin(driver, office_id, settings)
    async with driver.transaction() as tx:
        await record(
            tx,
            principal.actor,
            "delete",
            entity="pin",
            entity_id=office_id,
            before=before,
            after=None,
        )
    return {"office_id": office_id}
