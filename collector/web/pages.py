"""The collector's web pages: office map, fleet, office summary; plus their static files.

Pages are thin Jinja2 shells; small vanilla scripts in ``static/js`` fetch the JSON API
(``/api/v1/...``) and render, so the pages show exactly what the API says and need no build step.
Mount with ``app.include_router(collector.web.pages.router)`` (or ``make_router(settings)``).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import ValidationError

from collector.errors import ConfigError
from collector.web.i18n import COOKIE_NAME, LANGS, pick_lang, strings
from collector.web.settings import WebSettings

_LOGGER = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
TEMPLATE_DIR = WEB_DIR / "templates"
STATIC_PREFIX = "/static"
API_PREFIX = "/api/v1"
# Same rule as office ids in the registry (docs/DATA-SOURCES.md).
OFFICE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")
COOKIE_MAX_AGE_S = 365 * 24 * 3600
# Chiang Mai province box (docs/DATA-SOURCES.md checks): the map's home view without data.
DEFAULT_BOUNDS = ((17.2, 97.3), (20.2, 99.6))

_ENV = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=StrictUndefined,  # a misspelt string key fails the page instead of vanishing
)


class _Pages:
    """Renders one page per route with the language, strings and map settings it needs."""

    def __init__(self, settings: WebSettings) -> None:
        self._settings = settings
        self._static = StaticFiles(directory=STATIC_DIR)

    def render(self, request: Request, template: str, status: int = 200, **extra: Any) -> Response:
        lang = pick_lang(request.query_params.get("lang"), request.cookies.get(COOKIE_NAME))
        other = next(code for code in LANGS if code != lang)
        context = {
            "lang": lang,
            "other_lang": other,
            "s": strings(lang),
            "path": request.url.path,
            "static": STATIC_PREFIX,
            "config": {
                "lang": lang,
                "api": API_PREFIX,
                "tileUrl": self._settings.tile_url,
                "tileAttribution": self._settings.tile_attribution,
                "tileMaxZoom": self._settings.tile_max_zoom,
                "bounds": DEFAULT_BOUNDS,
                "strings": strings(lang),
                **extra.pop("config", {}),
            },
            **extra,
        }
        html = _ENV.get_template(template).render(context)
        response = HTMLResponse(html, status_code=status)
        if request.query_params.get("lang") in LANGS:
            response.set_cookie(
                COOKIE_NAME, lang, max_age=COOKIE_MAX_AGE_S, samesite="lax", httponly=False
            )
        return response

    async def static(self, path: str, request: Request) -> Response:
        try:
            return await self._static.get_response(path, request.scope)
        except HTTPException:
            raise
        except (OSError, ValueError) as exc:
            _LOGGER.debug("static file %s not served: %s", path, exc)
            raise HTTPException(status_code=404) from exc


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
    pages = _Pages(settings)
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
