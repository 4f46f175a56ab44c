"""The write refusal of a reader (``CF_ROLE=reader``, ``collector/reader_mode.py``): every
request that is not GET, HEAD or OPTIONS is answered 503 with a JSON error naming the mode,
before any route, form or credential is looked at."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from collector.reader_mode import READER_REFUSAL

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class RefuseWrites:
    """Pure ASGI middleware (no body is read, nothing is buffered)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in READ_METHODS:
            await self.app(scope, receive, send)
            return
        response: Response = JSONResponse(
            {"error": READER_REFUSAL, "field": "role"}, status_code=503
        )
        await response(scope, receive, send)


def install(app: FastAPI) -> None:
    """Before ``hygiene.install``: the refusal then carries the security headers too."""
    app.add_middleware(RefuseWrites)
