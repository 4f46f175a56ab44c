"""The registry: offices and devices, managed over the API by technicians and ops.

The registry, never a payload, decides which office a device belongs to. Devices that publish
without being registered are quarantined: their messages are kept and shown to ops.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from collector.errors import NotFoundError
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

    @model_validator(mode="after")
    def _check_lat_lon(self) -> OfficeIn:
        _lat_lon_together(self)
        return self


class OfficePatch(BaseModel):
    """Fields of an office to change; a field left out keeps its value (lat/lon come together;
    both null clears the registered location)."""

    model_config = ConfigDict(extra="forbid")

    name_th: Annotated[str, Field(min_length=1, max_length=200)] | SkipJsonSchema[None] = None
    name_en: Annotated[str, Field(min_length=1, max_length=200)] | SkipJsonSchema[None] = None
    agency: Annotated[str, Field(max_length=200)] | SkipJsonSchema[None] = None
    province: Annotated[str, Field(max_length=100)] | SkipJsonSchema[None] = None
    address: Annotated[str, Field(max_length=500)] | SkipJsonSchema[None] = None
    lat: Latitude | None = None
    lon: Longitude | None = None

    @model_validator(mode="after")
    def _check_lat_lon(self) -> OfficePatch:
        _lat_lon_together(self)
        return self

    @field_validator("name_th", "name_en", "agency", "province", "address")
    @classmethod
    def _not_null(cls, value: str | None) -> str:
        return _no_null(value)


def _lat_lon_together(model: BaseModel) -> None:
    given = {"lat", "lon"} & model.model_fields_set
    values = (getattr(model, "lat", None), getattr(model, "lon", None))
    if len(given) == 1 or (values[0] is None) != (values[1] is None):
        raise ValueError("lat and lon go together: give both (or both null)")


def _no_null(value: str | None) -> str:
    """Runs only on values given (a left-out field keeps its value)."""
    if value is None:
        raise ValueError("cannot be null (leave it out to keep its value)")
    return value


class DeviceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    device_id: Identifier
    office_id: Identifier
    counter_label: Annotated[str, Field(max_length=100)] = ""
    credential_fingerprint: Annotated[str, Field(max_length=200)] | None = Field(
        None, description="SHA-256 fingerprint of the device's client certificate"
    )


class DevicePatch(BaseModel):
    """Fields of a device to change; a field left out keeps its value."""

    model_config = ConfigDict(extra="forbid")

    office_id: Identifier | SkipJsonSchema[None] = None
    counter_label: Annotated[str, Field(max_length=100)] | SkipJsonSchema[None] = None
    credential_fingerprint: Annotated[str, Field(max_length=200)] | None = None

    @field_validator("office_id", "counter_label")
    @classmethod
    def _not_null(cls, value: str | None) -> str:
        return _no_null(value)


async def get_device(driver: Driver, device_id: str) -> Row:
    row = await driver.fetchrow("SELECT * FROM devices WHERE device_id = ?", device_id)
    if row is None:
        raise NotFoundError(f"device {device_id!r} is not registered")
    return row


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
