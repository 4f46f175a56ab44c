"""Plug the feedback part into the collector's app: its context, API routes and pages."""

from __future__ import annotations

from fastapi import FastAPI

from collector.feedback import api, pages
from collector.feedback.context import FeedbackContext
from collector.feedback.settings import FeedbackSettings, load_feedback_settings


def install(app: FastAPI, settings: FeedbackSettings | None = None) -> None:
    app.state.feedback = FeedbackContext(settings or load_feedback_settings())
    app.include_router(api.router)
    app.include_router(pages.router)
