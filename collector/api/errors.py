"""Clear 4xx errors: JSON ``{"error": ..., "field": ...}`` naming the field that is wrong."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from collector.errors import ConflictError, ForbiddenError, NotFoundError


def _field(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    field = _field(first.get("loc", ()))
    return JSONResponse(
        status_code=422,
        content={
            "error": f"{field}: {first.get('msg')}",
            "field": field,
            "details": [
                {"field": _field(e.get("loc", ())), "message": e.get("msg")} for e in errors
            ],
        },
    )


async def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    field = detail.split(":", 1)[0] if ":" in detail else None
    return JSONResponse(
        status_code=exc.status_code,
        content={"error": detail, "field": field},
        headers=getattr(exc, "headers", None),
    )


async def _not_found(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=404, content={"error": str(exc), "field": None})


async def _conflict(_request: Request, exc: Exception) -> JSONResponse:
    message = str(exc)
    field = message.split(":", 1)[0] if ":" in message else None
    return JSONResponse(status_code=409, content={"error": message, "field": field})


async def _forbidden(_request: Request, exc: Exception) -> JSONResponse:
    message = str(exc)
    field = message.split(":", 1)[0] if ":" in message else None
    return JSONResponse(status_code=403, content={"error": message, "field": field})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(ConflictError, _conflict)
    app.add_exception_handler(ForbiddenError, _forbidden)
