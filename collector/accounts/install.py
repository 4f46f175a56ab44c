"""Plug the accounts part into the collector's app: routers, shared context, error mapping."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from collector.accounts import (
    api,
    pages,
    registration_api,
    registration_pages,
    survey_api,
    survey_pages,
)
from collector.accounts.context import AccountContext
from collector.accounts.mailer import MailError
from collector.accounts.settings import AccountSettings
from collector.analytics import api as analytics_api
from collector.analytics import pages as analytics_pages


async def _mail_failed(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=503, content={"error": str(exc), "field": "smtp"})


def install(app: FastAPI, settings: AccountSettings | None = None) -> None:
    """Adds the account API and pages; settings from ``CF_*`` unless given."""
    app.state.accounts = AccountContext(settings or AccountSettings())
    app.add_exception_handler(MailError, _mail_failed)
    app.include_router(api.router)
    app.include_router(registration_api.router)
    app.include_router(survey_api.router)
    app.include_router(analytics_api.router)
    app.include_router(pages.router)
    app.include_router(registration_pages.router)
    app.include_router(survey_pages.router)
    app.include_router(analytics_pages.router)
