"""The registry: offices and devices, managed over the API by technicians and ops.

The registry, never a payload, decides which office a device belongs to. Devices that publish
without being registered are quarantined: their messages are kept and shown to ops.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from collector.errors import ConflictError, NotFoundError
from collector.storage import Driver, Row
from protocols.identifiers import ID_PATTERN

Identifier = Annotated[str, Field(pattern=ID_PATTERN, description="matches " + ID_PATTERN)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


class OfficeIn(BaseModel):
    """An office as a technician or ops registers it."""

    model_config = ConfigDict(extra="forbid")

    office_id: Identifier
    name_th: Annotated[str, Field(min_length=1, max_length=200)]
    name_en: Annotated[str, Field(min_length=1, max_length=200)]
    agency: Annotated[str, Field(max_length=200)] = ""
    province: Annotated[str, Field(max_length=100)] = ""
    address: Annotated[str, Field(max_length=500)] = ""
    lat: Latitude | None = Field(None, description="registered location (WGS84)")
    lon: Longitude | None = None


class DeviceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    device_id: Identifier
    office_id: Identifier
    counter_label: Annotated[str, Field(max_length=100)] = ""
    credential_fingerprint: Annotated[str, Field(max_length=200)] | None = Field(
        None, description="SHA-256 fingerprint of the device's client certificate"
    )


def _now_ms() -> int:
    return int(time.time() * 1000)


async def upsert_office(driver: Driver, office: OfficeIn) -> bool:
    """Create or replace an office; return True when it was created."""
    now = _now_ms()
    async with driver.transaction() as tx:
        existed = await tx.fetchrow(
            "SELECT office_id FROM offices WHERE office_id = ?", office.office_id
        )
        if existed:
            await tx.execute(
                "UPDATE offices SET name_th = ?, name_en = ?, agency = ?, province = ?, "
                "address = ?, lat = ?, lon = ?, updated_ms = ? WHERE office_id = ?",
                office.name_th,
                office.name_en,
                office.agency,
                office.province,
                office.address,
                office.lat,
                office.lon,
                now,
                office.office_id,
            )
        else:
            await tx.execute(
                "INSERT INTO offices (office_id, name_th, name_en, agency, province, address, "
                "lat, lon, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                office.office_id,
                office.name_th,
                office.name_en,
                office.agency,
                office.province,
                office.address,
                office.lat,
                office.lon,
                now,
                now,
            )
    return existed is None


async def upsert_device(driver: Driver, device: DeviceIn) -> bool:
    """Create or replace a device; its office must exist. Return True when it was created."""
    now = _now_ms()
    async with driver.transaction() as tx:
        office = await tx.fetchrow(
            "SELECT office_id FROM offices WHERE office_id = ?", device.office_id
        )
        if office is None:
            raise ConflictError(f"office_id: office {device.office_id!r} is not registered")
        existed = await tx.fetchrow(
            "SELECT device_id FROM devices WHERE device_id = ?", device.device_id
        )
        if existed:
            await tx.execute(
                "UPDATE devices SET office_id = ?, counter_label = ?, "
                "credential_fingerprint = ?, updated_ms = ? WHERE device_id = ?",
                device.office_id,
                device.counter_label,
                device.credential_fingerprint,
                now,
                device.device_id,
            )
        else:
            await tx.execute(
                "INSERT INTO devices (device_id, office_id, counter_label, "
                "credential_fingerprint, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?)",
                device.device_id,
                device.office_id,
                device.counter_label,
                device.credential_fingerprint,
                now,
                now,
            )
    return existed is None


async def get_office(driver: Driver, office_id: str) -> Row:
    row = await driver.fetchrow("SELECT * FROM offices WHERE office_id = ?", office_id)
    if row is None:
        raise NotFoundError(f"office {office_id!r} is not registered")
    return row


async def list_offices(driver: Driver, *, limit: int, offset: int) -> list[Row]:
    return await driver.fetch(
        "SELECT * FROM offices ORDER BY office_id LIMIT ? OFFSET ?", limit, offset
    )


async def devices_by_office(driver: Driver, office_ids: list[str]) -> dict[str, list[str]]:
    if not office_ids:
        return {}
    marks = ", ".join("?" for _ in office_ids)
    rows = await driver.fetch(
        f"SELECT office_id, device_id FROM devices WHERE office_id IN ({marks}) "  # noqa: S608
        "ORDER BY device_id",
        *office_ids,
    )
    result: dict[str, list[str]] = {o: [] for o in office_ids}
    for r in rows:
        result[r["office_id"]].append(r["device_id"])
    return result


async def quarantine(driver: Driver, *, limit: int, offset: int) -> list[dict[str, Any]]:
    """Devices that publish without being registered, with what they sent (ops)."""
    rows = await driver.fetch(
        "SELECT f.device_id, f.first_seen_ms, f.last_seen_ms, f.messages, "
        "s.max_seq, s.acked_seq, s.events FROM fleet_state f "
        "LEFT JOIN device_seq s ON s.device_id = f.device_id "
        "WHERE f.device_id NOT IN (SELECT device_id FROM devices) "
        "ORDER BY f.device_id LIMIT ? OFFSET ?",
        limit,
        offset,
    )
    return [dict(r) for r in rows]
