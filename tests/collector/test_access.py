"""Who may call what: every route of the app's OpenAPI document × every kind of caller.

The route list comes from ``app.openapi()``, so a new route without an expectation here fails
``test_every_route_has_an_expectation``. Runs the app with its lifespan (real SQLite, a real
Mosquitto), with real tokens: viewer, technician, ops, an expired ops token, a revoked one.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from collector.api.app import create_app
from collector.ingest.subscriber import wait_ready
from collector.runtime import Collector
from collector.tokens import Role, create_token, revoke_token, token_id_of
from protocols import Channel
from tests.collector.conftest import make_settings
from tests.collector.devices import MqttPeer, eventually, heartbeat, rating
from tests.fixtures.broker import MosquittoBroker

CALLERS = ("anonymous", "viewer", "technician", "ops", "expired", "revoked")
OFFICE = "cm-access-dol"
DEV = "cm-access-c01"
STRANGER = "cm-unregistered-c09"
FINGERPRINT = "ab:cd:ef:00"

# Who gets through; everyone else gets 401 (no or a dead credential) or 403 (wrong role).
PROBE = {c: "ok" for c in CALLERS}  # no credential is even looked at
PUBLIC = {**{c: "ok" for c in CALLERS}, "expired": 401, "revoked": 401}
FLEET = {"anonymous": 401, "viewer": "ok", "technician": "ok", "ops": "ok"}
REGISTRAR = {"anonymous": 401, "viewer": 403, "technician": "ok", "ops": "ok"}
OPS = {"anonymous": 401, "viewer": 403, "technician": 403, "ops": "ok"}
for _table in (FLEET, REGISTRAR, OPS):
    _table.update(expired=401, revoked=401)


def _office(caller: str) -> dict[str, Any]:
    return {"office_id": f"cm-{caller}-dol", "name_th": "ทดสอบ", "name_en": "Test"}


def _device(caller: str) -> dict[str, Any]:
    return {"device_id": f"cm-{caller}-c01", "office_id": OFFICE}


# (method, path template) -> (who, success status, request for a caller: path, json)
Request = tuple[str, Any]
EXPECTED: dict[tuple[str, str], tuple[dict[str, Any], int, Any]] = {
    ("GET", "/healthz"): (PROBE, 200, lambda c: ("/healthz", None)),
    ("GET", "/readyz"): (PROBE, 200, lambda c: ("/readyz", None)),
    ("GET", "/metrics"): (FLEET, 200, lambda c: ("/metrics", None)),
    ("GET", "/api/v1/offices"): (PUBLIC, 200, lambda c: ("/api/v1/offices", None)),
    ("POST", "/api/v1/offices"): (REGISTRAR, 201, lambda c: ("/api/v1/offices", _office(c))),
    ("GET", "/api/v1/offices/{office_id}"): (
        PUBLIC, 200, lambda c: (f"/api/v1/offices/{OFFICE}", None)),
    ("PUT", "/api/v1/offices/{office_id}"): (
        REGISTRAR, 201, lambda c: (f"/api/v1/offices/cm-{c}-put", {
            **_office(c), "office_id": f"cm-{c}-put"})),
    ("PATCH", "/api/v1/offices/{office_id}"): (
        REGISTRAR, 200, lambda c: (f"/api/v1/offices/{OFFICE}", {"address": f"by {c}"})),
    ("PUT", "/api/v1/offices/{office_id}/pin"): (
        OPS, 200, lambda c: (f"/api/v1/offices/{OFFICE}/pin", {"lat": 18.7, "lon": 98.9})),
    ("DELETE", "/api/v1/offices/{office_id}/pin"): (
        OPS, 200, lambda c: (f"/api/v1/offices/{OFFICE}/pin", None)),
    ("GET", "/api/v1/devices"): (PUBLIC, 200, lambda c: ("/api/v1/devices", None)),
    ("POST", "/api/v1/devices"): (REGISTRAR, 201, lambda c: ("/api/v1/devices", _device(c))),
    ("GET", "/api/v1/devices/{device_id}"): (
        PUBLIC, 200, lambda c: (f"/api/v1/devices/{DEV}", None)),
    ("PUT", "/api/v1/devices/{device_id}"): (
        REGISTRAR, 201, lambda c: (f"/api/v1/devices/cm-{c}-c02", {
            **_device(c), "device_id": f"cm-{c}-c02"})),
    ("PATCH", "/api/v1/devices/{device_id}"): (
        REGISTRAR, 200, lambda c: (f"/api/v1/devices/{DEV}", {"counter_label": c})),
    ("DELETE", "/api/v1/devices/{device_id}/retained"): (
        REGISTRAR, 200, lambda c: (f"/api/v1/devices/{DEV}/retained", None)),
    ("POST", "/api/v1/devices/{device_id}/commands"): (
        OPS, 202, lambda c: (f"/api/v1/devices/{DEV}/commands", {"type": "ping"})),
    ("GET", "/api/v1/devices/{device_id}/commands"): (
        OPS, 200, lambda c: (f"/api/v1/devices/{DEV}/commands", None)),
    ("GET", "/api/v1/ratings/summary"): (PUBLIC, 200, lambda c: ("/api/v1/ratings/summary", None)),
    ("GET", "/api/v1/alerts"): (FLEET, 200, lambda c: ("/api/v1/alerts", None)),
    ("GET", "/api/v1/dead-letters"): (OPS, 200, lambda c: ("/api/v1/dead-letters", None)),
    ("GET", "/api/v1/quarantine"): (FLEET, 200, lambda c: ("/api/v1/quarantine", None)),
    ("GET", "/api/v1/audit"): (OPS, 200, lambda c: ("/api/v1/audit", None)),
    ("GET", "/api/v1/services"): (PUBLIC, 200, lambda c: ("/api/v1/services", None)),
    ("GET", "/api/v1/services/search"): (
        PUBLIC, 200, lambda c: ("/api/v1/services/search?q=x", None)),
    ("POST", "/api/v1/services/import"): (
        REGISTRAR, 200, lambda c: ("/api/v1/services/import?dry_run=true", [])),
    ("GET", "/api/v1/services/{service_id}"): (  # an unknown service: 404 once past the check
        PUBLIC, 404, lambda c: ("/api/v1/services/no-such-service", None)),
    ("GET", "/api/v1/nearest"): (
        PUBLIC, 200, lambda c: ("/api/v1/nearest?lat=18.7&lon=98.9", None)),
    ("GET", "/api/v1/offices/{office_id}/services"): (
        PUBLIC, 200, lambda c: (f"/api/v1/offices/{OFFICE}/services", None)),
    ("GET", "/api/v1/offices/{office_id}/hours"): (
        PUBLIC, 200, lambda c: (f"/api/v1/offices/{OFFICE}/hours", None)),
    ("GET", "/api/v1/offices/{office_id}/zero-copy"): (
        PUBLIC, 200, lambda c: (f"/api/v1/offices/{OFFICE}/zero-copy", None)),
    ("GET", "/api/v1/offices/{office_id}/scorecard"): (
        PUBLIC, 200, lambda c: (f"/api/v1/offices/{OFFICE}/scorecard", None)),
    ("GET", "/api/v1/scorecards"): (PUBLIC, 200, lambda c: ("/api/v1/scorecards", None)),
}  # fmt: skip


@dataclass
class World:
    client: httpx.AsyncClient
    headers: dict[str, dict[str, str]]
    routes: set[tuple[str, str]]


@pytest.fixture
async def world(mosquitto: MosquittoBroker, sqlite_url: str) -> AsyncIterator[World]:
    # Dozens of dead-token calls from one address: the refused-token limit is test_hygiene's.
    settings = make_settings(sqlite_url, mosquitto, rate_limit_auth_failures="1000/minute")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        collector: Collector = app.state.collector
        driver = collector.driver
        tokens = {
            "viewer": await create_token(driver, Role.VIEWER, "v"),
            "technician": await create_token(driver, Role.TECHNICIAN, "t"),
            "ops": await create_token(driver, Role.OPS, "o"),
            "expired": await create_token(
                driver, Role.OPS, "old", expires_ms=int(time.time() * 1000) - 1
            ),
            "revoked": await create_token(driver, Role.OPS, "gone"),
        }
        await revoke_token(driver, token_id_of(tokens["revoked"]))
        headers = {c: {"Authorization": f"Bearer {t}"} for c, t in tokens.items()}
        headers["anonymous"] = {}
        routes = {
            (method.upper(), path)
            for path, item in app.openapi()["paths"].items()
            for method in item
        }
        assert collector.subscriber is not None
        assert await wait_ready(collector.subscriber, 10)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://collector") as client:
            ops = headers["ops"]
            office = {**_office("x"), "office_id": OFFICE, "province": "Chiang Mai"}
            assert (
                await client.post("/api/v1/offices", json=office, headers=ops)
            ).status_code == 201
            device = {**_device("x"), "device_id": DEV, "credential_fingerprint": FINGERPRINT}
            assert (
                await client.post("/api/v1/devices", json=device, headers=ops)
            ).status_code == 201
            yield World(client, headers, routes)


def test_every_route_has_an_expectation() -> None:
    app = create_app(make_settings(":memory:"), ingest=False)
    routes = {(m.upper(), p) for p, item in app.openapi()["paths"].items() for m in item}
    missing = sorted(routes - set(EXPECTED))
    assert missing == [], f"routes without an access expectation: {missing}"
    assert sorted(set(EXPECTED) - routes) == [], "expectations for routes that are gone"


async def test_access_matrix(world: World) -> None:
    assert world.routes == set(EXPECTED)
    wrong = []
    for (method, template), (who, success, build) in sorted(EXPECTED.items()):
        for caller in CALLERS:
            path, body = build(caller)
            r = await world.client.request(method, path, json=body, headers=world.headers[caller])
            want = success if who[caller] == "ok" else who[caller]
            if r.status_code != want:
                wrong.append(f"{method} {template} as {caller}: {r.status_code} != {want}")
            if r.status_code == 401:
                assert r.headers.get("www-authenticate") == "Bearer", (method, template)
    assert wrong == [], "\n".join(wrong)


async def test_the_public_device_list_shows_registered_devices_and_nothing_of_the_fleet(
    world: World, mosquitto: MosquittoBroker
) -> None:
    peer = MqttPeer(mosquitto.url)
    peer.watch_acks()
    try:
        peer.publish(DEV, Channel.HEARTBEAT, heartbeat(DEV))
        peer.publish(STRANGER, Channel.EVENTS, rating(STRANGER, 1))
        await eventually(lambda: peer.last_ack(STRANGER) == 1)
    finally:
        peer.close()
    viewer, anonymous = world.headers["viewer"], world.headers["anonymous"]

    async def fleet() -> dict[str, Any] | None:
        body = (await world.client.get("/api/v1/devices", headers=viewer)).json()
        ids = {d["device_id"] for d in body["items"]}
        return body if {DEV, STRANGER} <= ids else None

    body = await eventually(fleet)
    assert body["view"] == "fleet"
    assert next(d for d in body["items"] if d["device_id"] == DEV)["credential_fingerprint"]
    public = (await world.client.get("/api/v1/devices", headers=anonymous)).json()
    assert public["view"] == "public"
    assert [d["device_id"] for d in public["items"]] == [DEV]
    assert set(public["items"][0]) == {"device_id", "office_id", "counter_label", "online"}
    assert FINGERPRINT not in str(public)
    one = await world.client.get(f"/api/v1/devices/{STRANGER}", headers=anonymous)
    assert one.status_code == 404
    assert STRANGER not in (await world.client.get("/api/v1/offices")).text
    mine = (await world.client.get(f"/api/v1/devices/{DEV}", headers=anonymous)).json()
    assert set(mine) == {"device_id", "office_id", "counter_label", "online"}


async def test_swagger_ui_is_off_and_the_openapi_document_public(world: World) -> None:
    assert (await world.client.get("/docs")).status_code == 404
    spec = await world.client.get("/openapi.json")
    assert spec.status_code == 200
    assert spec.json()["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
