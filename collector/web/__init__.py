"""Web pages served by the collector: office map, fleet, office summary (Thai first, English).

The collector's app factory calls :func:`install` when this package is present.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import FastAPI

from collector.web import service_pages
from collector.web.pages import make_router, make_router_and_settings
from collector.web.settings import WebSettings

__all__ = ["install", "make_router"]


def install(app: FastAPI, settings: WebSettings | None = None) -> None:
    """Adds the pages and their static files to ``app`` (settings from ``CF_TILE_*``), and lets
    the security headers allow images from the tile server."""
    router, settings = make_router_and_settings(settings)
    app.include_router(router)
    app.include_router(service_pages.make_router(settings))
    tiles = urlsplit(settings.tile_url)
    if tiles.scheme in ("http", "https") and tiles.netloc:
        origins = list(getattr(app.state, "csp_img_origins", []))
        app.state.csp_img_origins = [*origins, f"{tiles.scheme}://{tiles.netloc}"]
