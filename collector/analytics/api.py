"""Analytics API for managers (scoped like everything else) and its exports."""

from __future__ import annotations

from typing import Annotated, Any, Literal, NamedTuple

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response

from collector.accounts.context import AccountContext, get_context
from collector.accounts.guards import CallerDep, allow, office_in_scope
from collector.accounts.principal import PersonRole, Principal
from collector.analytics.exports import (
    Table,
    distribution_table,
    heatmap_table,
    ranking_table,
    to_csv,
    to_xlsx,
    trend_table,
)
from collector.analytics.filters import DateRange, date_range
from collector.analytics.reports import (
    day_rows,
    distribution,
    heatmap,
    heatmap_rows,
    office_rows,
    ranking,
    score_rows,
    trend,
)
from collector.analytics.sessions import session_report
from collector.api.deps import DriverDep, get_principal
from collector.managers.exports import MANAGER_REPORTS, ManagerReport, manager_table
from collector.storage import Driver

router = APIRouter(
    prefix="/api/v1/analytics",
    tags=["analytics"],
    # Every API route resolves the caller: a dead token is 401, a cookie write needs CSRF.
    dependencies=[Depends(get_principal)],
)
ContextDep = Annotated[AccountContext, Depends(get_context)]
OfficeQuery = Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9-]{2,63}$")]
DateQuery = Annotated[str | None, Query(description="YYYY-MM-DD (Gregorian), Thai time")]
ROLES = (PersonRole.OPS, PersonRole.AGENCY_ADMIN, PersonRole.MANAGER)
Grain = Literal["day", "week", "month"]


async def report_offices(
    driver: Driver, principal: Principal, office_id: str | None
) -> dict[str, str]:
    """{office_id: Thai name} the report covers: one office (404 outside scope) or all in scope."""
    allow(principal, *ROLES)
    if office_id is not None:
        row = await office_in_scope(driver, principal, office_id)
        return {row["office_id"]: row["name_th"]}
    rows = await driver.fetch("SELECT office_id, agency_id, name_th FROM offices")
    return {
        r["office_id"]: r["name_th"]
        for r in rows
        if principal.sees_office(r["office_id"], r["agency_id"])
    }


class ReportScope(NamedTuple):
    """What a report covers: the offices ({office_id: Thai name}), the period, and k."""

    offices: dict[str, str]
    period: DateRange
    k: int


async def report_scope(
    driver: Driver,
    principal: Principal,
    ctx: AccountContext,
    office_id: str | None,
    *,
    from_: str | None,
    to: str | None,
) -> ReportScope:
    """The offices (404 outside the caller's scope), the period of ``from_`` and ``to`` (Thai
    dates; 422 when wrong), and the k-anonymity threshold of a report."""
    offices = await report_offices(driver, principal, office_id)
    return ReportScope(offices, date_range(from_, to), ctx.settings.k_anonymity)


def report_filters(
    report: str, office_id: str | None, period: DateRange, k: int
) -> list[tuple[str, Any]]:
    return [
        ("report", report),
        ("office_id", office_id or "(all in scope)"),
        ("from", period.start.isoformat()),
        ("to", period.end.isoformat()),
        ("timezone", "Asia/Bangkok (UTC+7)"),
        ("k (cells below are suppressed)", k),
    ]


@router.get("/heatmap", summary="Ratings by hour × weekday (k-anonymised)")
async def get_heatmap(
    *,
    driver: DriverDep,
    ctx: ContextDep,
    principal: CallerDep,
    office_id: OfficeQuery = None,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: DateQuery = None,
) -> JSONResponse:
    offices, period, k = await report_scope(driver, principal, ctx, office_id, from_=from_, to=to)
    cells = heatmap(await heatmap_rows(driver, offices, period), k)
    return JSONResponse(
        {"filters": dict(report_filters("heatmap", office_id, period, k)), "k": k, "cells": cells}
    )


@router.get("/ranking", summary="Offices ranked with sample-size shrinkage (k-anonymised)")
async def get_ranking(
    driver: DriverDep,
    ctx: ContextDep,
    principal: CallerDep,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: DateQuery = None,
) -> JSONResponse:
    """Returned as a ``JSONResponse``: the report is plain JSON values already, and FastAPI's
    generic encoder walking 2,000 offices cost more than the query and the ranking together."""
    offices, period, k = await report_scope(driver, principal, ctx, None, from_=from_, to=to)
    rows = await office_rows(driver, offices, period)
    report = ranking(rows, offices, k, ctx.settings.ranking_prior_weight)
    filters = dict(report_filters("ranking", None, period, k))
    return JSONResponse({"filters": filters, "k": k, **report})


@router.get("/trend", summary="Ratings, mean and verified share per day, week or month")
async def get_trend(
    *,
    driver: DriverDep,
    ctx: ContextDep,
    principal: CallerDep,
    grain: Annotated[Grain, Query()] = "day",
    office_id: OfficeQuery = None,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: DateQuery = None,
) -> dict[str, Any]:
    offices, period, k = await report_scope(driver, principal, ctx, office_id, from_=from_, to=to)
    points = trend(await day_rows(driver, offices, period), grain, k)
    filters = dict(report_filters("trend", office_id, period, k))
    return {"filters": {**filters, "grain": grain}, "k": k, "points": points}


@router.get("/distribution", summary="Ratings per scale and score (k-anonymised)")
async def get_distribution(
    *,
    driver: DriverDep,
    ctx: ContextDep,
    principal: CallerDep,
    office_id: OfficeQuery = None,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: DateQuery = None,
) -> dict[str, Any]:
    offices, period, k = await report_scope(driver, principal, ctx, office_id, from_=from_, to=to)
    items = distribution(await score_rows(driver, offices, period), k)
    return {
        "filters": dict(report_filters("distribution", office_id, period, k)),
        "k": k,
        "counts": items,
    }


@router.get("/sessions", summary="Service time from card sessions, satisfaction by band")
async def get_sessions(
    *,
    driver: DriverDep,
    ctx: ContextDep,
    principal: CallerDep,
    office_id: OfficeQuery = None,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: DateQuery = None,
) -> dict[str, Any]:
    offices, period, k = await report_scope(driver, principal, ctx, office_id, from_=from_, to=to)
    report = await session_report(driver, sorted(offices), period, k)
    return {"filters": dict(report_filters("sessions", office_id, period, k)), "k": k, **report}


@router.get("/export", summary="A report as CSV (UTF-8 BOM) or XLSX, filters in the header rows")
async def export(
    *,
    driver: DriverDep,
    ctx: ContextDep,
    principal: CallerDep,
    report: Annotated[
        Literal["heatmap", "ranking", "trend", "distribution"] | ManagerReport, Query()
    ],
    grain: Annotated[Grain, Query()] = "day",
    format_: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "csv",
    office_id: OfficeQuery = None,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: DateQuery = None,
) -> Response:
    if report == "ranking":
        office_id = None
    offices, period, k = await report_scope(driver, principal, ctx, office_id, from_=from_, to=to)
    table: Table
    if report in MANAGER_REPORTS:
        table = await manager_table(driver, report, offices, period, grain=grain, k=k)  # type: ignore[arg-type]
    elif report == "heatmap":
        table = heatmap_table(heatmap(await heatmap_rows(driver, offices, period), k))
    elif report == "trend":
        table = trend_table(trend(await day_rows(driver, offices, period), grain, k))
    elif report == "distribution":
        table = distribution_table(distribution(await score_rows(driver, offices, period), k))
    else:
        rows = await office_rows(driver, offices, period)
        table = ranking_table(ranking(rows, offices, k, ctx.settings.ranking_prior_weight))
    filters = report_filters(report, office_id, period, k)
    if report in ("trend", "zero-copy"):
        filters.append(("grain", grain))
    name = f"{report}-{period.start}-{period.end}"
    if format_ == "csv":
        return Response(
            to_csv(filters, table),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return Response(
        to_xlsx(filters, table, report),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )
