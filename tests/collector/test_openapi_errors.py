"""The OpenAPI document lists the error answers each route gives, in the API's one error shape.

The schemathesis fault test (tests/faults/test_api_schema.py) checks the answers of a running
collector against the document; these tests check the document's derivation rules directly.
"""

from __future__ import annotations

from typing import Any

import pytest

from collector.api.app import create_app
from tests.collector.conftest import make_settings

ERROR_REF = {"$ref": "#/components/schemas/Error"}
PROBES = {"/healthz", "/readyz"}
# Signed by an outside system (HMAC over the body), not by a credential: a failed check is 403.
SIGNED = {"/api/v1/cases/callback"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    spec: dict[str, Any] = create_app(make_settings(":memory:"), ingest=False).openapi()
    return spec


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m.upper(), p, op) for p, item in document["paths"].items() for m, op in item.items()]


def test_the_error_shape_is_one_component_schema(document: dict[str, Any]) -> None:
    schema = document["components"]["schemas"]["Error"]
    assert schema["required"] == ["error", "field"]
    assert "HTTPValidationError" not in document["components"]["schemas"]  # not what 422 sends


def test_every_route_but_the_probes_documents_401_and_429_with_the_error_schema(
    document: dict[str, Any],
) -> None:
    for method, path, op in _operations(document):
        statuses = set(op["responses"])
        if path in PROBES:
            assert not statuses & {"401", "429"}, (method, path)
            continue
        if path in SIGNED:
            assert "401" not in statuses, (method, path)
            assert op["responses"]["403"]["content"]["application/json"]["schema"] == ERROR_REF
        for status in ("429",) if path in SIGNED else ("401", "429"):
            answer = op["responses"][status]["content"]["application/json"]["schema"]
            assert answer == ERROR_REF, (method, path, status)
        if "422" in statuses:
            assert op["responses"]["422"]["content"]["application/json"]["schema"] == ERROR_REF


def test_role_routes_document_403_and_need_a_credential(document: dict[str, Any]) -> None:
    op = document["paths"]["/api/v1/audit"]["get"]
    assert "403" in op["responses"]
    assert {} not in op["security"]  # a role: the credential is required
    public = document["paths"]["/api/v1/offices"]["get"]
    assert "403" not in public["responses"]
    assert {} in public["security"]  # public: no credential is fine, a dead one is refused


def test_path_parameters_conflicts_and_broker_answers(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert "404" in paths["/api/v1/offices/{office_id}"]["get"]["responses"]
    assert "404" not in paths["/api/v1/offices"]["get"]["responses"]
    assert "409" in paths["/api/v1/devices"]["post"]["responses"]
    # a route's own description of its 409 stays, with the schema added
    conflict = paths["/api/v1/offices"]["post"]["responses"]["409"]
    assert conflict["description"].startswith("the office exists")
    assert conflict["content"]["application/json"]["schema"] == ERROR_REF
    assert "503" in paths["/api/v1/devices/{device_id}/commands"]["post"]["responses"]
    assert "201" in paths["/api/v1/devices/{device_id}"]["put"]["responses"]
    assert "text/plain" in paths["/metrics"]["get"]["responses"]["200"]["content"]
    assert "304" in paths["/api/v1/services"]["get"]["responses"]
