"""Clearing a retired device's retained documents at the broker (decommission-device.yml).

The broker keeps the last retained ``state``, ``location`` and ``acks`` of a device for ever; after
a decommission they would be replayed to every subscriber (monitoring tools, a fresh collector).
The running collector clears them with its own broker connection (no second client with the
collector's identity, which would take over its session): an empty retained payload on each.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path

from collector import audit
from collector.api.deps import CollectorDep, RegistrarDep
from collector.ingest.subscriber import RETAINED_TOPICS

router = APIRouter(prefix="/api/v1/devices", tags=["devices"])
DevicePath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{2,63}$")]


@router.delete(
    "/{device_id}/retained",
    summary="Clear the device's retained state, location and acks at the broker",
)
async def clear_retained(
    device_id: DevicePath, collector: CollectorDep, principal: RegistrarDep
) -> dict[str, Any]:
    driver = collector.driver
    place = await driver.fetchrow(
        "SELECT d.office_id, o.province FROM devices d "
        "LEFT JOIN offices o ON o.office_id = d.office_id WHERE d.device_id = ?",
        device_id,
    )
    # A scoped technician clears only devices of offices in scope; unregistered ids: ops only.
    if place is None and not principal.scope.unlimited:
        raise HTTPException(404, f"device_id: device {device_id!r} is not registered")
    if place is not None and not principal.may_write(place["office_id"], place["province"]):
        raise HTTPException(404, f"device_id: device {device_id!r} is not registered")
    subscriber = collector.subscriber
    if subscriber is None or not subscriber.ready:
        raise HTTPException(503, "broker: the collector is not connected to the broker")
    cleared = await asyncio.to_thread(subscriber.clear_retained, device_id)
    if len(cleared) < len(RETAINED_TOPICS):
        raise HTTPException(503, f"broker: only {', '.join(cleared) or 'nothing'} cleared")
    async with driver.transaction() as tx:
        await audit.record(
            tx,
            principal.actor,
            "delete",
            entity="retained",
            entity_id=device_id,
            before={"topics": cleared},
            after=None,
        )
    return {"device_id": device_id, "cleared": cleared}
