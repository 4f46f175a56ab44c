"""Fleet views: alerts and quarantine (viewer, technician, ops); dead letters, whose raw payloads
only ops read; the registry's audit log (ops)."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query

from collector.accounts.guards import CallerDep, visible_offices
from collector.api.deps import DriverDep, FleetDep, OpsDep, PageDep, SettingsDep, get_principal
from collector.audit import entries
from collector.fleet import alert_dict, compute_alerts, iso
from collector.registry import quarantine

# Every route checks a presented credential (401 for a dead token), public ones included.
router = APIRouter(prefix="/api/v1", tags=["ops"], dependencies=[Depends(get_principal)])


@router.get(
    "/alerts", summary="Current fleet alerts (viewer, technician, ops; agency people: own offices)"
)
async def alerts(
    driver: DriverDep,
    settings: SettingsDep,
    page: PageDep,
    principal: CallerDep,
    kind: Annotated[str | None, Query(description="only this kind")] = None,
) -> dict[str, Any]:
    scope: frozenset[str] | None = None
    if not principal.reads_fleet:
        if not principal.reads_agency_fleet:
            raise HTTPException(
                403, f"Authorization: the fleet view is not for role {principal.role}"
            )
        scope = await visible_offices(driver, principal)
    found = [
        a
        for a in await compute_alerts(driver, settings)
        if (kind is None or a.kind == kind) and (scope is None or a.office_id in scope)
    ]
    items = found[page.offset : page.offset + page.limit]
    return {
        "items": [alert_dict(a) for a in items],
        "total": len(found),
        "next_offset": page.next_offset(len(items)),
    }


@router.get("/dead-letters", summary="Dead-lettered messages, newest first (ops)")
async def dead_letters(
    driver: DriverDep,
    _ops: OpsDep,
    page: PageDep,
    device_id: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    sql = "SELECT * FROM dead_letters"
    args: list[Any] = []
    if device_id is not None:
        sql += " WHERE device_id = ?"
        args.append(device_id)
    sql += " ORDER BY id DESC LIMIT ? OFFSET ?"
    rows = await driver.fetch(sql, *args, page.limit, page.offset)
    items = []
    for r in rows:
        raw = bytes(r["payload"])
        size = r.get("payload_bytes")
        truncated = size is not None and size > len(raw)
        text = _utf8(raw, truncated)
        items.append(
            {
                "id": r["id"],
                "topic": r["topic"],
                "device_id": r["device_id"],
                "message_id": r["message_id"],
                "seq": r["seq"],
                "code": r["code"],
                "reason": r["reason"],
                "received": iso(r["received_ms"]),
                "payload_text": text,
                "payload_base64": base64.b64encode(raw).decode("ascii"),
                "payload_bytes": size if size is not None else len(raw),
                "payload_sha256": r.get("payload_sha256"),
                "payload_truncated": truncated,
            }
        )
    total = await driver.fetchval("SELECT count(*) FROM dead_letters")
    return {"items": items, "total": int(total or 0), "next_offset": page.next_offset(len(rows))}


def _utf8(raw: bytes, truncated: bool) -> str | None:
    """The payload as text, if it is UTF-8 (a truncated one may end inside a character)."""
    for cut in range(4 if truncated else 1):
        try:
            return raw[: len(raw) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return None


@router.get("/quarantine", summary="Devices that publish without being registered (viewer+)")
async def quarantined(driver: DriverDep, _fleet: FleetDep, page: PageDep) -> dict[str, Any]:
    rows = await quarantine(driver, limit=page.limit, offset=page.offset)
    items = [
        {
            "device_id": r["device_id"],
            "first_seen": iso(r["first_seen_ms"]),
            "last_seen": iso(r["last_seen_ms"]),
            "messages": int(r["messages"] or 0),
            "events": int(r["events"] or 0),
            "acked_seq": int(r["acked_seq"] or 0),
            "last_seq": int(r["max_seq"] or 0),
        }
        for r in rows
    ]
    return {"items": items, "next_offset": page.next_offset(len(rows))}


@router.get("/audit", summary="Registry changes, newest first: who, when, before/after (ops)")
async def audit_log(
    driver: DriverDep,
    _ops: OpsDep,
    page: PageDep,
    entity: Annotated[str | None, Query(description="office, device or pin")] = None,
    entity_id: Annotated[str | None, Query(description="one record's id")] = None,
) -> dict[str, Any]:
    rows = await entries(
        driver, entity=entity, entity_id=entity_id, limit=page.limit, offset=page.offset
    )
    items = [{"at": iso(r["at_ms"]), **{k: v for k, v in r.items() if k != "at_ms"}} for r in rows]
    return {"items": items, "next_offset": page.next_offset(len(items))}
