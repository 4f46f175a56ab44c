"""Public reads: a JSON response with ``ETag`` and ``Cache-Control``; ``If-None-Match`` gets 304."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

PUBLIC_MAX_AGE_S = 60


def cached_json(request: Request, payload: Any, *, max_age_s: int = PUBLIC_MAX_AGE_S) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age_s}"}
    wanted = request.headers.get("if-none-match", "")
    if etag in [t.strip() for t in wanted.split(",")] or wanted.strip() == "*":
        return Response(status_code=304, headers=headers)
    return JSONResponse(content=payload, headers=headers)
