"""Plug the managers' part into the app: its router and the alert task in the app's lifespan.

The task wraps the app's lifespan (it starts after the collector, so the database is open, and
stops before it); nothing in ``api/app.py`` beyond the one call to :func:`install`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from collector.managers import api
from collector.managers.alert_task import AlertTask
from collector.managers.settings import ManagerSettings


def install(app: FastAPI, settings: ManagerSettings | None = None) -> None:
    app.include_router(api.router)
    inner = app.router.lifespan_context
    chosen = settings or ManagerSettings()

    @asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[None]:
        async with inner(app_):
            task = AlertTask(app_.state.collector.driver, app_.state.accounts, chosen)
            app_.state.alert_task = task
            task.start()
            try:
                yield
            finally:
                await task.stop()

    app.router.lifespan_context = lifespan
