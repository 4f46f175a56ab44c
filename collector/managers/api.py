"""Managers' API beyond the base analytics: breakdowns, zero copy over time, alerts and their
settings. Scoped like every report (ops, agency admin, manager; another agency's office 404),
k-anonymised like every report."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from collector.accounts.guards import CallerDep, allow, office_in_scope
from collector.analytics.api import (
    ROLES,
    ContextDep,
    DateQuery,
    Grain,
    OfficeQuery,
    report_filters,
    report_scope,
)
from collector.api.deps import DriverDep, get_principal
from collector.managers.alert_settings import (
    AlertSettingsIn,
    read_settings,
    settings_view,
    write_settings,
)
from collector.managers.alerts_report import alert_list
from collector.managers.breakdown import By, breakdown, rollup_rows, service_rows
from collector.managers.zero_copy_trend import office_series

router = APIRouter(tags=["analytics"], dependencies=[Depends(get_principal)])
OfficePath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{2,63}$")]
FromQuery = Annotated[str | None, Query(alias="from", description="YYYY-MM-DD (Gregorian)")]


@router.get(
    "/api/v1/analytics/breakdown",
    summary="Ratings by counter, channel (buttons, web) or service (k-anonymised)",
)
async def get_breakdown(
    *,
    driver: DriverDep,
    ctx: ContextDep,
    principal: CallerDep,
    by: Annotated[By, Query()],
    office_id: OfficeQuery = None,
    from_: FromQuery = None,
    to: DateQuery = None,
) -> dict[str, Any]:
    offices, period, k = await report_scope(driver, principal, ctx, office_id, from_=from_, to=to)
    rows = await (service_rows if by == "service" else rollup_rows)(driver, offices, period)
    filters = dict(report_filters(f"breakdown-{by}", office_id, period, k))
    return {"filters": {**filters, "by": by}, "k": k, "groups": breakdown(rows, by, k)}


@router.get(
    "/api/v1/analytics/zero-copy",
    summary="Measured zero-copy share per office over time (k-anonymised)",
)
async def get_zero_copy(
    *,
    driver: DriverDep,
    ctx: ContextDep,
    principal: CallerDep,
    office_id: OfficeQuery = None,
    grain: Annotated[Grain, Query()] = "week",
    from_: FromQuery = None,
    to: DateQuery = None,
) -> dict[str, Any]:
    offices, period, k = await report_scope(driver, principal, ctx, office_id, from_=from_, to=to)
    series = [
        {
            "office_id": o,
            "name": offices[o],
            "points": await office_series(driver, o, period, grain, k),
        }
        for o in sorted(offices)
    ]
    filters = dict(report_filters("zero-copy", office_id, period, k))
    return {"filters": {**filters, "grain": grain}, "k": k, "offices": series}


@router.get("/api/v1/analytics/alerts", summary="Threshold alerts fired, newest first")
async def get_alerts(
    *,
    driver: DriverDep,
    ctx: ContextDep,
    principal: CallerDep,
    office_id: OfficeQuery = None,
    from_: FromQuery = None,
    to: DateQuery = None,
) -> dict[str, Any]:
    offices, period, k = await report_scope(driver, principal, ctx, office_id, from_=from_, to=to)
    items = await alert_list(driver, offices, period, k)
    return {"filters": dict(report_filters("alerts", office_id, period, k)), "k": k, "items": items}


@router.get(
    "/api/v1/offices/{office_id}/alert-settings",
    summary="An office's alert rule, quiet period and recipients (the secret is never shown)",
)
async def get_alert_settings(
    office_id: OfficePath, driver: DriverDep, principal: CallerDep
) -> dict[str, Any]:
    allow(principal, *ROLES)
    await office_in_scope(driver, principal, office_id)
    return settings_view(office_id, await read_settings(driver, office_id))


@router.put(
    "/api/v1/offices/{office_id}/alert-settings",
    summary="Set an office's alert rule, quiet period, email and signed webhook",
)
async def put_alert_settings(
    office_id: OfficePath, body: AlertSettingsIn, driver: DriverDep, principal: CallerDep
) -> dict[str, Any]:
    allow(principal, *ROLES)
    await office_in_scope(driver, principal, office_id)
    await write_settings(driver, office_id, body, principal.actor.id)
    return settings_view(office_id, await read_settings(driver, office_id))
