"""The FastAPI application: builds the app, its lifespan starts and stops the collector.

Later parts (web pages) plug in with ``create_app(routers=[...])`` or ``install=[fn]`` (each
``fn(app)`` may mount static files or templates); ``collector.web.install`` is picked up by
default when that package exists.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from collector.accounts.install import install as install_accounts
from collector.api import hygiene, openapi_errors, read_only
from collector.api.errors import install_error_handlers
from collector.api.gc_freeze import freeze_startup_objects
from collector.api.routes import devices, health, offices, ops, ratings, retained
from collector.api.routes import services as services_routes
from collector.cases import api as cases_api
from collector.config import Settings
from collector.feedback.install import install as install_feedback
from collector.managers import api as managers_api
from collector.managers.install import install as install_managers
from collector.runtime import Collector

_LOGGER = logging.getLogger(__name__)

Installer = Callable[[FastAPI], None]


def _web_installer() -> Installer | None:
    """``collector.web.install(app)`` if the web pages are part of this build."""
    try:
        module = importlib.import_module("collector.web")
    except ModuleNotFoundError as exc:
        if exc.name in ("collector.web",):
            return None
        raise
    install = getattr(module, "install", None)
    return install if callable(install) else None


def create_app(
    settings: Settings,
    *,
    ingest: bool = True,
    routers: Sequence[APIRouter] = (),
    install: Sequence[Installer] | None = None,
    collector: Collector | None = None,
) -> FastAPI:
    """The collector's HTTP app; ``ingest=False`` serves the API without an MQTT subscriber.
    A ``collector`` given is already started and stopped by its owner (``__main__``)."""
    owned = collector is None
    collector = collector or Collector(settings, ingest=ingest)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if owned:
            await collector.start()
        freeze_startup_objects()
        try:
            yield
        finally:
            if owned:
                await collector.stop()

    app = FastAPI(
        title="Citizen Feedback collector",
        version="1",
        summary="Office pins, fleet state, ratings; ingest of the counters' MQTT messages.",
        lifespan=lifespan,
        # No Swagger UI: it needs an inline script and a CDN (CSP script-src 'self', offline
        # offices). The OpenAPI document stays public: the API's shape is no secret, its data is.
        docs_url=None,
        redoc_url=None,
    )
    app.state.collector = collector
    install_error_handlers(app)
    if settings.reader:
        read_only.install(app)  # CF_ROLE=reader: every write answered 503
    hygiene.install(app, settings)
    for router in (health.router, offices.router, devices.router, ratings.router, ops.router):
        app.include_router(router)
    app.include_router(retained.router)  # decommission: clear a device's retained topics
    app.include_router(services_routes.router)
    for router in cases_api.routers:  # complaint cases: the centre's callback, ops' outbox
        app.include_router(router)
    install_accounts(app)
    install_feedback(app)  # issue 11: counter QR codes, the phone form, comments
    if settings.reader:  # the reports, without the alert task (it writes)
        app.include_router(managers_api.router)
    else:
        install_managers(app)  # issue 12: breakdowns, zero copy over time, office alerts
    for router in routers:
        app.include_router(router)
    installers = list(install) if install is not None else []
    if install is None and (web := _web_installer()) is not None:
        installers.append(web)
    for fn in installers:
        fn(app)
    openapi_errors.install(app)  # after every router: documents each route's error answers
    return app
