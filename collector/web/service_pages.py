"""Public service pages: the catalogue with search, and one page per service.

These pages are rendered on the server from the database, so a citizen gets the steps,
documents and offices even when the browser's later data calls fail; ``service.js`` only adds
the map and the list by distance once the user allows location or taps the map.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from collector.errors import NotFoundError
from collector.services.catalogue import get_service, hours_of, list_services, spans_for
from collector.services.hours import OFFICE_TZ, open_state
from collector.services.search import search
from collector.storage import Driver
from collector.web.i18n import COOKIE_NAME, pick_lang
from collector.web.page_renderer import PageRenderer
from collector.web.settings import WebSettings

SERVICE_ID_RE = r"^[a-z0-9][a-z0-9-]{2,63}$"
THAI_MONTHS = (
    *("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย."),
    *("ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."),
)


def local_date(ms: int, lang: str) -> str:
    """A date as Thai readers expect it (Buddhist era) or as in English."""
    day = dt.datetime.fromtimestamp(ms / 1000, OFFICE_TZ).date()
    if lang == "th":
        return f"{day.day} {THAI_MONTHS[day.month - 1]} {day.year + 543}"
    return day.strftime("%d %b %Y").lstrip("0")


def local_time(value: dt.datetime | None, lang: str) -> str:
    if value is None:
        return ""
    now = dt.datetime.now(OFFICE_TZ)
    clock = value.strftime("%H:%M")
    if value.date() == now.date():
        return clock
    return f"{local_date(int(value.timestamp() * 1000), lang)} {clock}"


def _driver(request: Request) -> Driver:
    driver: Driver = request.app.state.collector.driver
    return driver


async def _offices_of(driver: Driver, service_id: str) -> list[dict[str, Any]]:
    rows = await driver.fetch(
        "SELECT o.office_id, o.name_th, o.name_en, o.address, s.counters "
        "FROM office_services s JOIN offices o ON o.office_id = s.office_id "
        "WHERE s.service_id = ? ORDER BY o.name_th LIMIT 200",
        service_id,
    )
    hours = await hours_of(driver, [r["office_id"] for r in rows])
    now = dt.datetime.now(dt.UTC)
    for r in rows:
        spans = spans_for(hours, r["office_id"], service_id)
        r["state"] = open_state(spans, now) if spans else None
    return rows


def make_router(settings: WebSettings | None = None) -> APIRouter:
    pages = PageRenderer(settings or WebSettings())
    router = APIRouter(tags=["web"], include_in_schema=False)

    @router.get("/services", response_class=HTMLResponse)
    async def services(request: Request, q: str = Query("", max_length=1000)) -> Response:
        driver = _driver(request)
        hits = await search(driver, q, limit=50) if q.strip() else []
        catalogue = [] if q.strip() else await list_services(driver, limit=500, offset=0)
        return pages.render(
            request, "services.html", page="services", q=q, hits=hits, catalogue=catalogue
        )

    @router.get("/services/{service_id}", response_class=HTMLResponse)
    async def service(request: Request, service_id: str) -> Response:
        driver = _driver(request)
        try:
            if not re.fullmatch(SERVICE_ID_RE, service_id):
                raise NotFoundError(service_id)
            found = await get_service(driver, service_id)
        except NotFoundError:
            return pages.render(request, "service_not_found.html", status=404, page="services")
        lang = pick_lang(request.query_params.get("lang"), request.cookies.get(COOKIE_NAME))
        return pages.render(
            request,
            "service.html",
            page="services",
            service=found,
            offices=await _offices_of(driver, service_id),
            updated=local_date(found["updated_ms"], lang),
            fmt_time=lambda value: local_time(value, lang),
            config={"serviceId": service_id, "renderedMs": int(time.time() * 1000)},
        )

    return router
