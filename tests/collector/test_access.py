"""Public vs fleet projections of the device list, and the OpenAPI document's security scheme.

The matrix of every route × every caller is test_access_matrix. Runs the app with its lifespan
(real SQLite, a real Mosquitto), with real tokens: viewer, technician, ops, expired, revoked.
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

OFFICE = "cm-access-dol"
DEV = "cm-access-c01"
STRANGER = "cm-unregistered-c09"
FINGERPRINT = "ab:cd:ef:00"


def _office(caller: str) -> dict[str, Any]:
    return {"office_id": f"cm-{caller}-dol", "name_th": "ทดสอบ", "name_en": "Test"}


def _device(caller: str) -> dict[str, Any]:
    return {"device_id": f"cm-{caller}-c01", "office_id": OFFICE}


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
