"""Renders the site's map-style pages (office map, fleet, office summary, service catalogue)
and serves their static files: the one place that knows the templates, the static folder and
the settings a page's scripts are handed (``<body data-config>``)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from collector.web.i18n import COOKIE_NAME, LANGS, pick_lang, strings
from collector.web.settings import WebSettings

_LOGGER = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
TEMPLATE_DIR = WEB_DIR / "templates"
STATIC_PREFIX = "/static"
API_PREFIX = "/api/v1"
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


class PageRenderer:
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
