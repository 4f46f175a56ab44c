"""Registry writes: create (409 when it exists), update (only the fields given), audited.

``POST`` creates only, ``PATCH`` changes only the fields it carries (a missing lat/lon never
wipes a location), ``PUT`` creates or, when the record exists, changes only the fields it carries
(kept for enrolment tools that want one idempotent call). Each change is written to the audit
log in the same transaction, with the record before and after. ``may_write(office_id,
province)`` is the caller's scope: every office a write touches (before and after) must pass.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from collector.audit import CLI_ACTOR, Actor, record
from collector.errors import ConflictError, ForbiddenError, NotFoundError
from collector.registry import DeviceIn, OfficeIn
from collector.storage import Row, Tx
from collector.storage.driver import Driver
from collector.storage.managers_schema import OFFICE_AGENCY_SQL

ScopeCheck = Callable[[str, str | None], bool]

OFFICE_FIELDS = ("name_th", "name_en", "agency", "province", "address", "lat", "lon")
DEVICE_FIELDS = ("office_id", "counter_label", "credential_fingerprint")


def _now_ms() -> int:
    return int(time.time() * 1000)


def _office_view(row: Row) -> dict[str, Any]:
    return {"office_id": row["office_id"], **{f: row[f] for f in OFFICE_FIELDS}}


def _device_view(row: Row) -> dict[str, Any]:
    return {"device_id": row["device_id"], **{f: row[f] for f in DEVICE_FIELDS}}


def _check(may_write: ScopeCheck, office_id: str, province: str | None) -> None:
    if not may_write(office_id, province):
        raise ForbiddenError(f"office_id: office {office_id!r} is outside this token's scope")


async def _office_row(tx: Tx, office_id: str) -> Row | None:
    return await tx.fetchrow("SELECT * FROM offices WHERE office_id = ?", office_id)


async def _device_row(tx: Tx, device_id: str) -> Row | None:
    return await tx.fetchrow("SELECT * FROM devices WHERE device_id = ?", device_id)


async def _insert_office(tx: Tx, actor: Actor, office: OfficeIn) -> dict[str, Any]:
    now = _now_ms()
    values = office.model_dump()
    await tx.execute(
        "INSERT INTO offices (office_id, name_th, name_en, agency, province, address, "
        "lat, lon, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        office.office_id,
        *(values[f] for f in OFFICE_FIELDS),
        now,
        now,
    )
    await tx.execute(OFFICE_AGENCY_SQL, office.office_id)
    after = {"office_id": office.office_id, **{f: values[f] for f in OFFICE_FIELDS}}
    await record(
        tx, actor, "create", entity="office", entity_id=office.office_id, before=None, after=after
    )
    return after


async def _update_office(
    tx: Tx, actor: Actor, row: Row, changes: dict[str, Any], may_write: ScopeCheck
) -> bool:
    before = _office_view(row)
    after = {**before, **{k: v for k, v in changes.items() if k in OFFICE_FIELDS}}
    _check(may_write, row["office_id"], after["province"])
    if after == before:
        return False
    sets = ", ".join(f"{f} = ?" for f in OFFICE_FIELDS)
    await tx.execute(
        f"UPDATE offices SET {sets}, updated_ms = ? WHERE office_id = ?",  # noqa: S608
        *(after[f] for f in OFFICE_FIELDS),
        _now_ms(),
        row["office_id"],
    )
    await tx.execute(OFFICE_AGENCY_SQL, row["office_id"])
    await record(
        tx, actor, "update", entity="office", entity_id=row["office_id"], before=before, after=after
    )
    return True


async def create_office(
    driver: Driver, actor: Actor, office: OfficeIn, may_write: ScopeCheck
) -> dict[str, Any]:
    _check(may_write, office.office_id, office.province)
    async with driver.transaction() as tx:
        if await _office_row(tx, office.office_id) is not None:
            raise ConflictError(f"office_id: office {office.office_id!r} exists; PATCH changes it")
        return await _insert_office(tx, actor, office)


async def update_office(
    driver: Driver, actor: Actor, office_id: str, changes: dict[str, Any], may_write: ScopeCheck
) -> bool:
    """Change the given fields; return True when anything changed."""
    async with driver.transaction() as tx:
        row = await _office_row(tx, office_id)
        if row is None:
            raise NotFoundError(f"office {office_id!r} is not registered")
        _check(may_write, office_id, row["province"])
        return await _update_office(tx, actor, row, changes, may_write)


async def put_office(
    driver: Driver, actor: Actor, office: OfficeIn, may_write: ScopeCheck
) -> tuple[bool, bool]:
    """Create, or change the fields the body carries; return (created, changed)."""
    async with driver.transaction() as tx:
        row = await _office_row(tx, office.office_id)
        if row is None:
            _check(may_write, office.office_id, office.province)
            await _insert_office(tx, actor, office)
            return True, True
        _check(may_write, office.office_id, row["province"])
        changes = office.model_dump(include=office.model_fields_set - {"office_id"})
        return False, await _update_office(tx, actor, row, changes, may_write)


async def _office_guard(tx: Tx, office_id: str, may_write: ScopeCheck) -> None:
    office = await _office_row(tx, office_id)
    if office is None:
        raise ConflictError(f"office_id: office {office_id!r} is not registered")
    _check(may_write, office_id, office["province"])


async def _insert_device(tx: Tx, actor: Actor, device: DeviceIn) -> None:
    now = _now_ms()
    values = device.model_dump()
    await tx.execute(
        "INSERT INTO devices (device_id, office_id, counter_label, credential_fingerprint, "
        "created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?)",
        device.device_id,
        *(values[f] for f in DEVICE_FIELDS),
        now,
        now,
    )
    after = {"device_id": device.device_id, **{f: values[f] for f in DEVICE_FIELDS}}
    await record(
        tx, actor, "create", entity="device", entity_id=device.device_id, before=None, after=after
    )


async def _update_device(
    tx: Tx, actor: Actor, row: Row, changes: dict[str, Any], may_write: ScopeCheck
) -> bool:
    before = _device_view(row)
    after = {**before, **{k: v for k, v in changes.items() if k in DEVICE_FIELDS}}
    await _office_guard(tx, before["office_id"], may_write)
    if after["office_id"] != before["office_id"]:
        await _office_guard(tx, after["office_id"], may_write)
    if after == before:
        return False
    sets = ", ".join(f"{f} = ?" for f in DEVICE_FIELDS)
    await tx.execute(
        f"UPDATE devices SET {sets}, updated_ms = ? WHERE device_id = ?",  # noqa: S608
        *(after[f] for f in DEVICE_FIELDS),
        _now_ms(),
        row["device_id"],
    )
    await record(
        tx, actor, "update", entity="device", entity_id=row["device_id"], before=before, after=after
    )
    return True


async def create_device(
    driver: Driver, actor: Actor, device: DeviceIn, may_write: ScopeCheck
) -> None:
    async with driver.transaction() as tx:
        await _office_guard(tx, device.office_id, may_write)
        if await _device_row(tx, device.device_id) is not None:
            raise ConflictError(f"device_id: device {device.device_id!r} exists; PATCH changes it")
        await _insert_device(tx, actor, device)


async def update_device(
    driver: Driver, actor: Actor, device_id: str, changes: dict[str, Any], may_write: ScopeCheck
) -> bool:
    async with driver.transaction() as tx:
        row = await _device_row(tx, device_id)
        if row is None:
            raise NotFoundError(f"device {device_id!r} is not registered")
        return await _update_device(tx, actor, row, changes, may_write)


async def put_device(
    driver: Driver, actor: Actor, device: DeviceIn, may_write: ScopeCheck
) -> tuple[bool, bool]:
    async with driver.transaction() as tx:
        row = await _device_row(tx, device.device_id)
        if row is None:
            await _office_guard(tx, device.office_id, may_write)
            await _insert_device(tx, actor, device)
            return True, True
        changes = device.model_dump(include=device.model_fields_set - {"device_id"})
        return False, await _update_device(tx, actor, row, changes, may_write)


def _anywhere(_office_id: str, _province: str | None) -> bool:
    return True


async def upsert_office(driver: Driver, office: OfficeIn) -> bool:
    """Create, or change the fields given, as the collector host (audited as ``cli``); True when
    created. For scripts and tests that seed the registry without the API."""
    created, _changed = await put_office(driver, CLI_ACTOR, office, _anywhere)
    return created


async def upsert_device(driver: Driver, device: DeviceIn) -> bool:
    """:func:`upsert_office` for a device."""
    created, _changed = await put_device(driver, CLI_ACTOR, device, _anywhere)
    return created
