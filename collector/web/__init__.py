"""Web pages served by the collector: office map, fleet, office summary (Thai first, English).

The collector's app factory calls :func:`install` when this package is present.
"""

from __future__ import annotations

from fastapi import FastAPI

from collector.web import service_pages
from collector.web.pages import make_router
from collector.web.settings import WebSettings

__all__ = ["install", "make_router"]


def install(app: FastAPI, settings: WebSettings | None = None) -> None:
    """Adds the pages and their static files to ``app`` (settings from ``CF_TILE_*``)."""
    app.include_router(make_router(settings))
    app.include_router(service_pages.make_router(settings))
