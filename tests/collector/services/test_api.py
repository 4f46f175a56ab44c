"""The catalogue's HTTP API (app with lifespan, no MQTT), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from collector.api.app import create_app
from collector.runtime import Collector
from collector.tokens import Role, create_token
from tests.collector.conftest import make_settings
from tests.collector.services.conftest import SAMPLE, add_offices


class Client:
    def __init__(self, http: httpx.AsyncClient, tech: str) -> None:
        self.http = http
        self.tech = {"Authorization": f"Bearer {tech}"}


@pytest.fixture
async def client(db_url: str) -> AsyncIterator[Client]:
    app = create_app(make_settings(db_url), ingest=False)
    async with app.router.lifespan_context(app):
        collector: Collector = app.state.collector
        await add_offices(collector.driver)
        tech = await create_token(collector.driver, Role.TECHNICIAN, "test technician")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://collector") as http:
            yield Client(http, tech)


async def _import(c: Client, body: bytes, **params: str) -> httpx.Response:
    return await c.http.post("/api/v1/services/import", content=body, headers=c.tech, params=params)


async def test_import_needs_a_token_and_reports_problems(client: Client) -> None:
    refused = await client.http.post("/api/v1/services/import", content=SAMPLE.read_bytes())
    assert refused.status_code == 401
    dry = await _import(client, SAMPLE.read_bytes(), dry_run="true")
    assert dry.json()["summary"].startswith("would import: 10 new")
    assert (await client.http.get("/api/v1/services")).json()["items"] == []
    done = await _import(client, SAMPLE.read_bytes())
    assert done.status_code == 200
    assert done.json()["services_created"] == 10
    bad = await _import(client, json.dumps({"offerings": [{"office_id": "x"}]}).encode())
    assert bad.status_code == 422
    body = bad.json()
    assert body["field"] == "offerings[0].office_id"
    assert {d["field"] for d in body["details"]} == {
        "offerings[0].office_id",
        "offerings[0].service_id",
    }
    csv = await client.http.post(
        "/api/v1/services/import",
        content="service_id,name_th,name_en\nmarriage-registration,จดทะเบียนสมรส,Marriage\n".encode(),
        headers={**client.tech, "Content-Type": "text/csv"},
    )
    assert csv.json()["services_updated"] == 1


async def test_public_reads_paginated_with_etag(client: Client) -> None:
    await _import(client, SAMPLE.read_bytes())
    first = await client.http.get("/api/v1/services", params={"limit": 4})
    assert first.status_code == 200
    assert len(first.json()["items"]) == 4
    assert first.json()["next_offset"] == 4
    assert first.headers["cache-control"] == "public, max-age=60"
    again = await client.http.get(
        "/api/v1/services", params={"limit": 4}, headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    last = await client.http.get("/api/v1/services", params={"limit": 4, "offset": 8})
    assert last.json()["next_offset"] is None
    detail = (await client.http.get("/api/v1/services/elderly-allowance-registration")).json()
    assert [d["copy_required"] for d in detail["documents"]] == [None, None, True]
    missing = await client.http.get("/api/v1/services/no-such-service")
    assert missing.status_code == 404
    assert "no-such-service" in missing.json()["error"]


async def test_search_and_nearest(client: Client) -> None:
    await _import(client, SAMPLE.read_bytes())
    hits = (await client.http.get("/api/v1/services/search", params={"q": "สมรส"})).json()
    assert [h["id"] for h in hits["items"]] == ["marriage-registration"]
    for q in ["", "%_", "x" * 999, "'\";--"]:
        answered = await client.http.get("/api/v1/services/search", params={"q": q})
        assert answered.status_code == 200
    too_long = await client.http.get("/api/v1/services/search", params={"q": "x" * 1001})
    assert too_long.status_code == 422
    assert too_long.json()["field"] == "q"
    near = await client.http.get("/api/v1/nearest", params={"lat": 18.8, "lon": 99.0})
    assert next(i["office_id"] for i in near.json()["items"]) == "cm-mueang-chiang-mai-dol"
    for lat, lon in ((91, 0), (0, -181), ("x", 0)):
        bad = await client.http.get("/api/v1/nearest", params={"lat": lat, "lon": lon})
        assert bad.status_code == 422
        assert bad.json()["field"] in ("lat", "lon")
    unknown = await client.http.get(
        "/api/v1/nearest", params={"lat": 18.8, "lon": 99.0, "service_id": "no-such-service"}
    )
    assert unknown.status_code == 404


async def test_office_services_hours_and_zero_copy(client: Client) -> None:
    doc = {
        "services": json.loads(SAMPLE.read_text(encoding="utf-8")),
        "office_hours": [
            {"office_id": "cm-san-sai-dol", "hours": {d: ["08:30-16:30"] for d in ("mon", "tue")}}
        ],
        "offerings": [
            {"office_id": "cm-san-sai-dol", "service_id": "death-registration", "counters": ["3"]}
        ],
    }
    assert (await _import(client, json.dumps(doc).encode())).status_code == 200
    services = (await client.http.get("/api/v1/offices/cm-san-sai-dol/services")).json()
    [death] = services["items"]
    assert death["counters"] == ["3"]
    assert death["hours"]["mon"] == ["08:30-16:30"]
    assert isinstance(death["open_now"], bool)
    hours = (await client.http.get("/api/v1/offices/cm-san-sai-dol/hours")).json()
    assert hours["timezone"] == "Asia/Bangkok"
    assert hours["hours"]["wed"] == []
    zero = (await client.http.get("/api/v1/offices/cm-san-sai-dol/zero-copy")).json()
    assert zero["declared"]["status"] == "no_copies"
    assert zero["measured"]["sessions"] == 0
    gone = await client.http.get("/api/v1/offices/cm-nowhere-dol/zero-copy")
    assert gone.status_code == 404
    paths = (await client.http.get("/openapi.json")).json()["paths"]
    for path in (
        "/api/v1/services",
        "/api/v1/services/search",
        "/api/v1/services/{service_id}",
        "/api/v1/services/import",
        "/api/v1/nearest",
        "/api/v1/offices/{office_id}/services",
        "/api/v1/offices/{office_id}/hours",
        "/api/v1/offices/{office_id}/zero-copy",
    ):
        assert path in paths
