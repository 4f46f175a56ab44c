"""The OpenAPI document lists every answer the API can give, error answers included.

Every error of the API has one shape, ``{"error": "<field>: ...", "field": ..., "details": [...]}``
(collector/api/errors.py, the 429 of collector/api/hygiene.py): the component schema ``Error``.
:func:`install` post-processes ``app.openapi()`` once and adds to each operation the error answers
it can give, derived from the route itself where possible:

- 401 when the operation takes a credential (it has an OpenAPI ``security`` requirement): a dead,
  unknown or non-bearer credential is refused on every such route, public ones included (whose
  requirement becomes optional: ``[{}, {"HTTPBearer": []}]``, as no credential is fine there);
- 403 when a dependency of the route checks a role (a dependency named ``require...``);
- 404 when the route has a path parameter (the office, device or service it names may not exist);
- 422 (the validation answer, in the API's own shape) on every operation with an input;
- 429 on every route the rate limits cover (all but the health probes);
- 304 on the reads of the tags in :data:`CACHED_TAGS` (``cached_json``: ETag, ``If-None-Match``);
- the rest, which only the route's code knows (409 conflicts, 503 broker down, 201 from an upsert,
  a 404 for a query parameter), from :data:`EXTRA` below.

A status a route declares itself (``responses=``) keeps its description and gains the schema.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from collector.api.hygiene import UNLIMITED_PATHS

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "description": "Every error answer: a message that starts with the field that is wrong.",
    "required": ["error", "field"],
    "properties": {
        "error": {"type": "string", "description": "<field>: what is wrong"},
        "field": {
            "anyOf": [{"type": "string"}, {"type": "null"}],
            "description": "the field (query, path, body or header) at fault, if one is",
        },
        "details": {
            "type": "array",
            "description": "every problem found (validation answers)",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}

DESCRIPTIONS = {
    401: "a credential is needed, or the one presented is unknown, expired or revoked",
    403: "the credential's role (or scope) does not allow this",
    404: "the record named does not exist (or is not visible to this caller)",
    409: "conflicts with the registry as it is",
    422: "a field is invalid; `error` and `field` name it",
    429: "too many requests from this client or token; see `Retry-After`",
    503: "a service the operation needs (the broker) is not available",
}

_OBJECT = {"type": "object"}
CACHED_TAGS = frozenset({"services"})  # collector/api/routes/services.py answers with cached_json
_NOT_MODIFIED = {"description": "not modified: `If-None-Match` names the current `ETag`"}
_EXPORT = {
    "description": "the report as CSV (UTF-8 with BOM) or XLSX",
    "content": {
        "text/csv": {"schema": {"type": "string"}},
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
            "schema": {"type": "string", "format": "binary"}
        },
    },
}
_CREATED = {"description": "created", "content": {"application/json": {"schema": _OBJECT}}}

# (method, path) -> {status: response object, or None for the Error answer of DESCRIPTIONS}.
EXTRA: dict[tuple[str, str], dict[int, dict[str, Any] | None]] = {
    ("get", "/readyz"): {
        503: {
            "description": "not ready: the database or the broker is not",
            "content": {"application/json": {"schema": _OBJECT}},
        }
    },
    ("get", "/metrics"): {
        200: {
            "description": "Prometheus text exposition format",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
    ("post", "/api/v1/offices"): {409: None},
    ("put", "/api/v1/offices/{office_id}"): {201: _CREATED},
    ("post", "/api/v1/devices"): {409: None},  # exists, or its office is not registered
    ("put", "/api/v1/devices/{device_id}"): {201: _CREATED, 409: None},
    ("patch", "/api/v1/devices/{device_id}"): {409: None},
    ("post", "/api/v1/devices/{device_id}/commands"): {503: None},
    ("delete", "/api/v1/devices/{device_id}/retained"): {503: None},
    ("get", "/api/v1/nearest"): {404: None},  # service_id not in the catalogue
    # accounts: email (set-password links, decisions) needs SMTP; 503 when it cannot be sent
    ("post", "/api/v1/people"): {404: None, 503: None},  # agency_id outside the caller's scope
    ("post", "/api/v1/registrations"): {409: None},  # the email is registered already
    ("post", "/api/v1/registrations/{registration_id}/approve"): {503: None},
    ("post", "/api/v1/registrations/{registration_id}/reject"): {503: None},
    # analytics: an office_id the caller does not see is 404
    ("get", "/api/v1/analytics/heatmap"): {404: None},
    ("get", "/api/v1/analytics/trend"): {404: None},
    ("get", "/api/v1/analytics/distribution"): {404: None},
    ("get", "/api/v1/analytics/sessions"): {404: None},
    ("get", "/api/v1/analytics/breakdown"): {404: None},
    ("get", "/api/v1/analytics/zero-copy"): {404: None},
    ("get", "/api/v1/analytics/alerts"): {404: None},
    ("get", "/api/v1/analytics/export"): {404: None, 200: _EXPORT},
    # feedback: the QR token in the body is unknown/tampered (404) or expired (410)
    ("post", "/api/v1/feedback"): {404: None, 410: None},
}


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for dep in dependant.dependencies:
        yield dep
        yield from _dependencies(dep)


def _checks_role(dependant: Dependant) -> bool:
    names = (getattr(d.call, "__qualname__", "") for d in _dependencies(dependant))
    return any(name.startswith("require") for name in names)


def _statuses(
    dependant: Dependant, method: str, path: str, operation: dict[str, Any]
) -> dict[int, Any]:
    statuses: dict[int, dict[str, Any] | None] = {}
    if method == "get" and CACHED_TAGS.intersection(operation.get("tags", ())):
        statuses[304] = _NOT_MODIFIED
    if operation.get("security"):
        statuses[401] = None
    if _checks_role(dependant):
        statuses[403] = None
    if dependant.path_params:
        statuses[404] = None
    if operation.get("parameters") or operation.get("requestBody"):
        statuses[422] = None
    if path not in UNLIMITED_PATHS:
        statuses[429] = None
    statuses.update(EXTRA.get((method, path), {}))
    return statuses


def _error_answer(status: int, declared: dict[str, Any] | None) -> dict[str, Any]:
    description = (declared or {}).get("description") or DESCRIPTIONS.get(status, "error")
    return {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}


def document_errors(app: FastAPI, document: dict[str, Any]) -> dict[str, Any]:
    """Add the ``Error`` schema and each operation's possible answers to ``document``."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        path = route.path_format
        if not isinstance(dependant, Dependant) or path is None:
            continue  # not an API route (static files, the document itself)
        path_item = document.get("paths", {}).get(path, {})
        for method in route.methods or ():
            operation = path_item.get(method.lower())
            if operation is None:
                continue
            if operation.get("security") and not _checks_role(dependant):
                # a public route: no credential is fine, a presented one must be alive (401)
                operation["security"] = [{}, *operation["security"]]
            responses = operation.setdefault("responses", {})
            for status, answer in _statuses(dependant, method.lower(), path, operation).items():
                key = str(status)
                responses[key] = answer or _error_answer(status, responses.get(key))
    # FastAPI's own validation shape is not what the API answers (errors.py): drop it if unused
    paths = json.dumps(document.get("paths", {}))
    if "/schemas/HTTPValidationError" not in paths and "/schemas/ValidationError" not in paths:
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    return document


def install(app: FastAPI) -> None:
    """Serve the completed document at /openapi.json (completed once per document built)."""
    build = app.openapi
    done: list[int] = []  # FastAPI rebuilds its document when routes are added later

    def openapi() -> dict[str, Any]:
        document = build()
        if id(document) not in done:
            document_errors(app, document)
            done[:] = [id(document)]
        return document

    app.openapi = openapi  # type: ignore[method-assign]
