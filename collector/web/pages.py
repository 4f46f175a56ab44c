"""The collector's web pages: office map, fleet, office summary; plus their static files.

Pages are thin Jinja2 shells; small vanilla scripts in ``static/js`` fetch the JSON API
(``/api/v1/...``) and render, so the pages show exactly what the API says and need no build step.
Mount with ``app.include_router(collector.web.pages.router)`` (or ``make_router(settings)``).
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from collector.errors import ConfigError
from collector.web.page_renderer import STATIC_PREFIX, PageRenderer
from collector.web.settings import WebSettings

# Same rule as office ids in the registry (docs/DATA-SOURCES.md).
OFFICE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")


def make_router(settings: WebSettings | None = None) -> APIRouter:
    """The pages and their static files as one router, configured by ``settings`` or ``CF_*``."""
    return make_router_and_settings(settings)[0]


def make_router_and_settings(
    settings: WebSettings | None = None,
) -> tuple[APIRouter, WebSettings]:
    """:func:`make_router`, and the settings it used."""
    if settings is None:
        try:
            settings = WebSettings()
        except ValidationError as exc:
            err = exc.errors(include_url=False)[0]
            name = str(err["loc"][0]).upper() if err["loc"] else "?"
            raise ConfigError(f"CF_{name}: {err['msg']}") from None
    pages = PageRenderer(settings)
    router = APIRouter(tags=["web"], include_in_schema=False)

    @router.get("/", response_class=HTMLResponse)
    @router.get("/map", response_class=HTMLResponse)
    async def office_map(request: Request) -> Response:
        return pages.render(request, "map.html", page="map")

    @router.get("/fleet", response_class=HTMLResponse)
    async def fleet(request: Request) -> Response:
        return pages.render(request, "fleet.html", page="fleet")

    @router.get("/offices/{office_id}", response_class=HTMLResponse)
    async def office(request: Request, office_id: str) -> Response:
        if not OFFICE_ID_RE.fullmatch(office_id):
            return pages.render(request, "not_found.html", status=404, page="office")
        return pages.render(
            request,
            "office.html",
            page="office",
            office_id=office_id,
            config={"officeId": office_id},
        )

    @router.get(STATIC_PREFIX + "/{path:path}")
    async def static(request: Request, path: str) -> Response:
        return await pages.static(path, request)

    return router, settings
