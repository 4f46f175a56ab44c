"""The service catalogue: services, search, nearest offices, office services/hours, zero-copy.

Public reads carry ``ETag``/``Cache-Control``; the import needs a technician or ops token.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from collector.api.caching import cached_json
from collector.api.deps import DriverDep, PageDep, RegistrarDep, SettingsDep, get_principal
from collector.rating_privacy import floor_hour
from collector.registry import get_office
from collector.services.catalogue import (
    get_service,
    hours_of,
    hours_table,
    list_services,
    office_services,
    spans_for,
)
from collector.services.holidays import holidays
from collector.services.hours import OFFICE_TZ, open_state
from collector.services.nearest import nearest
from collector.services.reader import ImportProblemsError, read_catalogue
from collector.services.scorecard import office_scorecard, offices_below, ranking
from collector.services.scorecard_privacy import public_card, public_scorecard
from collector.services.search import MAX_QUERY, search
from collector.services.store import import_catalogue
from collector.services.zero_copy import zero_copy_report

# Every route checks a presented credential (401 for a dead token), public ones included.
router = APIRouter(prefix="/api/v1", tags=["services"], dependencies=[Depends(get_principal)])
IdPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{2,63}$")]
Lat = Annotated[float, Query(ge=-90, le=90, description="WGS84 latitude")]
Lon = Annotated[float, Query(ge=-180, le=180, description="WGS84 longitude")]


@router.get("/services", summary="The service catalogue (paginated)")
async def services_list(request: Request, driver: DriverDep, page: PageDep) -> Response:
    items = await list_services(driver, limit=page.limit, offset=page.offset)
    return cached_json(request, {"items": items, "next_offset": page.next_offset(len(items))})


@router.get("/services/search", summary="Search services and offices (Thai without spaces too)")
async def services_search(
    request: Request,
    driver: DriverDep,
    page: PageDep,
    q: Annotated[str, Query(max_length=1000, description="words or fragments")] = "",
    kind: Literal["all", "service", "office"] = "all",
) -> Response:
    kinds = ("service", "office") if kind == "all" else (kind,)
    items = await search(driver, q, kinds=kinds, limit=page.limit, offset=page.offset)
    payload = {
        "query": q[:MAX_QUERY],
        "items": items,
        "next_offset": page.next_offset(len(items)),
    }
    return cached_json(request, payload)


@router.post("/services/import", summary="Import a catalogue file (technician or ops)")
async def services_import(
    request: Request,
    driver: DriverDep,
    _role: RegistrarDep,
    dry_run: bool = False,
) -> Any:
    """Body: the JSON document, or CSV with ``Content-Type: text/csv`` (collector/README.md)."""
    data = await request.body()
    csv = request.headers.get("content-type", "").startswith("text/csv")
    try:
        catalogue = read_catalogue(data, "upload.csv" if csv else "upload.json")
        report = await import_catalogue(driver, catalogue, dry_run=dry_run)
    except ImportProblemsError as exc:
        return JSONResponse(
            status_code=422,
            content={
                "error": exc.problems[0],
                "field": exc.problems[0].split(":", 1)[0],
                "details": [
                    {"field": p.split(":", 1)[0], "message": p.split(":", 1)[-1].strip()}
                    for p in exc.problems
                ],
            },
        )
    return {**report.__dict__, "summary": report.line()}


@router.get("/services/{service_id}", summary="One service with its steps and documents")
async def service_detail(request: Request, service_id: IdPath, driver: DriverDep) -> Response:
    return cached_json(request, await get_service(driver, service_id))


@router.get("/nearest", summary="Nearest offices (offering a service) from a point")
async def nearest_offices(  # noqa: PLR0917 (FastAPI parameters)
    request: Request,
    driver: DriverDep,
    lat: Lat,
    lon: Lon,
    service_id: Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9-]{2,63}$")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> Response:
    if service_id is not None:
        await get_service(driver, service_id)
    items = await nearest(driver, lat, lon, service_id=service_id, limit=limit)
    payload = {"from": {"lat": lat, "lon": lon}, "service_id": service_id, "items": items}
    return cached_json(request, payload, max_age_s=30)


@router.get("/offices/{office_id}/services", summary="Services an office offers, with hours")
async def office_services_view(request: Request, office_id: IdPath, driver: DriverDep) -> Response:
    await get_office(driver, office_id)
    services = await office_services(driver, office_id)
    hours = await hours_of(driver, [office_id])
    now = dt.datetime.now(dt.UTC)
    for s in services:
        spans = spans_for(hours, office_id, s["service_id"])
        s["hours"] = hours_table(spans)
        s.update(open_state(spans, now).as_dict() if spans else {"open_now": None})
    return cached_json(request, {"office_id": office_id, "items": services}, max_age_s=30)


@router.get("/offices/{office_id}/hours", summary="Office hours, open now / opens at, holidays")
async def office_hours_view(request: Request, office_id: IdPath, driver: DriverDep) -> Response:
    await get_office(driver, office_id)
    spans = (await hours_of(driver, [office_id])).get((office_id, ""), [])
    now = dt.datetime.now(dt.UTC)
    today = now.astimezone(OFFICE_TZ).date()
    upcoming = sorted(d for d in holidays() if today <= d <= today + dt.timedelta(days=60))
    payload = {
        "office_id": office_id,
        "timezone": str(OFFICE_TZ),
        "hours": hours_table(spans),
        "hours_known": bool(spans),
        **(open_state(spans, now).as_dict() if spans else {"open_now": None}),
        "holidays_next_60_days": [
            {"date": d.isoformat(), "name_th": holidays()[d][0], "name_en": holidays()[d][1]}
            for d in upcoming
        ],
    }
    return cached_json(request, payload, max_age_s=30)


@router.get("/offices/{office_id}/zero-copy", summary="Zero-copy status: declared and measured")
async def office_zero_copy(
    request: Request,
    office_id: IdPath,
    driver: DriverDep,
    settings: SettingsDep,
    days: Annotated[int, Query(ge=1, le=366, description="measured over the last N days")] = 30,
) -> Response:
    await get_office(driver, office_id)
    until = int(time.time() * 1000)
    report = await zero_copy_report(driver, settings, office_id, until - days * 86_400_000, until)
    return cached_json(request, report, max_age_s=60)


@router.get("/offices/{office_id}/scorecard", summary="Satisfaction scorecard (count, interval)")
async def office_scorecard_view(
    request: Request, office_id: IdPath, driver: DriverDep, settings: SettingsDep
) -> Response:
    """Public (k-anonymised for every caller, so a shared cache may keep it): closed hours only,
    periods under ``CF_K_ANONYMITY`` ratings suppressed."""
    await get_office(driver, office_id)
    now_ms = int(time.time() * 1000)
    card = await office_scorecard(driver, office_id, now_ms, until_ms=floor_hour(now_ms))
    return cached_json(request, public_scorecard(card, settings.k_anonymity), max_age_s=60)


@router.get("/scorecards", summary="Offices ranked by shrunk mean satisfaction (paginated)")
async def scorecards_view(
    request: Request,
    driver: DriverDep,
    settings: SettingsDep,
    page: PageDep,
    days: Annotated[
        int | None, Query(ge=1, le=3660, description="last N days; all if absent")
    ] = 30,
) -> Response:
    """Public like the scorecard: closed hours, offices under k ratings left out (counted)."""
    now_ms, k = int(time.time() * 1000), settings.k_anonymity
    until = floor_hour(now_ms)
    rows = await ranking(driver, now_ms, days, page.limit, page.offset, until_ms=until, min_count=k)
    items = [public_card(row, k) for row in rows]
    payload = {
        "days": days,
        "k_anonymity": k,
        "offices_suppressed": await offices_below(driver, now_ms, days, k, until_ms=until),
        "items": items,
        "next_offset": page.next_offset(len(items)),
    }
    return cached_json(request, payload, max_age_s=60)
