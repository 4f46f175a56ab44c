"""Registry writes over the API on SQLite and PostgreSQL: POST creates only (409), PATCH changes
only what it carries (a missing lat/lon never wipes a location), PUT creates or merges, scoped
technician tokens, and the audit log (who, when, before/after) that ops read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from collector.api.app import create_app
from collector.runtime import Collector
from collector.tokens import Role, Scope, create_token, token_id_of
from tests.collector.conftest import make_settings

OFFICE = {
    "office_id": "cm-mueang-chiang-mai-dol",
    "name_th": "ที่ว่าการอำเภอเมืองเชียงใหม่",
    "name_en": "Mueang Chiang Mai District Office",
    "province": "Chiang Mai",
    "lat": 18.78778,
    "lon": 98.98528,
}
OTHER = {**OFFICE, "office_id": "lp-mueang-lamphun-dol", "province": "Lamphun", "lat": 18.58}
DEV = "cm-mueang-c01"


@dataclass
class Registry:
    client: httpx.AsyncClient
    ops: dict[str, str]
    tech: dict[str, str]
    scoped: dict[str, str]
    tech_id: str


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def registry(db_url: str) -> AsyncIterator[Registry]:
    app = create_app(make_settings(db_url), ingest=False)
    async with app.router.lifespan_context(app):
        collector: Collector = app.state.collector
        driver = collector.driver
        ops = await create_token(driver, Role.OPS, "ops alice")
        tech = await create_token(driver, Role.TECHNICIAN, "ansible")
        scoped = await create_token(
            driver,
            Role.TECHNICIAN,
            "chiang mai technician",
            scope=Scope(provinces=frozenset({"Chiang Mai"})),
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://collector") as client:
            yield Registry(client, _bearer(ops), _bearer(tech), _bearer(scoped), token_id_of(tech))


async def test_post_creates_only_and_patch_keeps_what_it_does_not_name(registry: Registry) -> None:
    c, tech = registry.client, registry.tech
    first = await c.post("/api/v1/offices", json=OFFICE, headers=tech)
    assert first.status_code == 201, first.text
    again = await c.post("/api/v1/offices", json={**OFFICE, "name_en": "Overwritten"}, headers=tech)
    assert again.status_code == 409
    assert again.json()["field"] == "office_id"
    patch = await c.patch(
        f"/api/v1/offices/{OFFICE['office_id']}", json={"address": "Chiang Mai 50200"}, headers=tech
    )
    assert patch.json() == {"office_id": OFFICE["office_id"], "created": False, "changed": True}
    props = (await c.get(f"/api/v1/offices/{OFFICE['office_id']}")).json()["properties"]
    assert props["name_en"] == OFFICE["name_en"]  # the refused POST changed nothing
    assert props["address"] == "Chiang Mai 50200"
    assert props["registered"] == {"lat": OFFICE["lat"], "lon": OFFICE["lon"]}
    same = await c.patch(
        f"/api/v1/offices/{OFFICE['office_id']}", json={"address": "Chiang Mai 50200"}, headers=tech
    )
    assert same.json()["changed"] is False
    lone = await c.patch(f"/api/v1/offices/{OFFICE['office_id']}", json={"lat": 18.8}, headers=tech)
    assert lone.status_code == 422
    null_name = await c.patch(
        f"/api/v1/offices/{OFFICE['office_id']}", json={"name_en": None}, headers=tech
    )
    assert (null_name.status_code, null_name.json()["field"]) == (422, "name_en")
    missing = await c.patch("/api/v1/offices/cm-nowhere-dol", json={"address": "x"}, headers=tech)
    assert missing.status_code == 404
    # PUT of an existing office without lat/lon keeps the location (enrolment re-runs).
    put = await c.put(
        f"/api/v1/offices/{OFFICE['office_id']}",
        json={k: v for k, v in OFFICE.items() if k not in ("lat", "lon")},
        headers=tech,
    )
    assert (put.status_code, put.json()["changed"]) == (200, False)
    props = (await c.get(f"/api/v1/offices/{OFFICE['office_id']}")).json()["properties"]
    assert props["registered"] == {"lat": OFFICE["lat"], "lon": OFFICE["lon"]}


async def test_devices_post_409_patch_and_office_checks(registry: Registry) -> None:
    c, tech = registry.client, registry.tech
    await c.post("/api/v1/offices", json=OFFICE, headers=tech)
    device = {"device_id": DEV, "office_id": OFFICE["office_id"], "credential_fingerprint": "aa"}
    assert (await c.post("/api/v1/devices", json=device, headers=tech)).status_code == 201
    assert (await c.post("/api/v1/devices", json=device, headers=tech)).status_code == 409
    r = await c.patch(f"/api/v1/devices/{DEV}", json={"credential_fingerprint": "bb"}, headers=tech)
    assert r.json()["changed"] is True
    r = await c.patch(f"/api/v1/devices/{DEV}", json={"office_id": "cm-nowhere-dol"}, headers=tech)
    assert (r.status_code, r.json()["field"]) == (409, "office_id")
    view = (await c.get(f"/api/v1/devices/{DEV}", headers=registry.ops)).json()
    assert (view["credential_fingerprint"], view["office_id"]) == ("bb", OFFICE["office_id"])


async def test_a_scoped_technician_writes_only_inside_its_province(registry: Registry) -> None:
    c, ops, scoped = registry.client, registry.ops, registry.scoped
    assert (await c.post("/api/v1/offices", json=OFFICE, headers=scoped)).status_code == 201
    outside = await c.post("/api/v1/offices", json=OTHER, headers=scoped)
    assert (outside.status_code, outside.json()["field"]) == (403, "office_id")
    assert (await c.post("/api/v1/offices", json=OTHER, headers=ops)).status_code == 201
    moved = await c.patch(
        f"/api/v1/offices/{OFFICE['office_id']}", json={"province": "Lamphun"}, headers=scoped
    )
    assert moved.status_code == 403  # cannot move an office out of its own scope
    device = {"device_id": "lp-mueang-c01", "office_id": OTHER["office_id"]}
    assert (await c.post("/api/v1/devices", json=device, headers=scoped)).status_code == 403
    mine = {"device_id": DEV, "office_id": OFFICE["office_id"]}
    assert (await c.post("/api/v1/devices", json=mine, headers=scoped)).status_code == 201
    away = await c.patch(
        f"/api/v1/devices/{DEV}", json={"office_id": OTHER["office_id"]}, headers=scoped
    )
    assert away.status_code == 403


async def test_every_change_is_in_the_audit_log_that_only_ops_read(registry: Registry) -> None:
    c, tech, ops = registry.client, registry.tech, registry.ops
    await c.post("/api/v1/offices", json=OFFICE, headers=tech)
    await c.patch(f"/api/v1/offices/{OFFICE['office_id']}", json={"lat": 18.8, "lon": 99.0},
                  headers=tech)  # fmt: skip
    await c.patch(
        f"/api/v1/offices/{OFFICE['office_id']}", json={"lat": 18.8, "lon": 99.0}, headers=tech
    )  # fmt: skip  (no change, no entry)
    await c.put(f"/api/v1/offices/{OFFICE['office_id']}/pin", json={"lat": 18.7, "lon": 98.9},
                headers=ops)  # fmt: skip
    assert (await c.get("/api/v1/audit", headers=tech)).status_code == 403
    items = (await c.get("/api/v1/audit", headers=ops)).json()["items"]
    assert [(i["action"], i["entity"]) for i in items] == [
        ("update", "pin"),
        ("update", "office"),
        ("create", "office"),
    ]
    update = items[1]
    assert update["actor"] == {"id": registry.tech_id, "name": "ansible", "role": "technician"}
    assert (update["before"]["lat"], update["after"]["lat"]) == (OFFICE["lat"], 18.8)
    assert update["before"]["name_en"] == update["after"]["name_en"] == OFFICE["name_en"]
    assert items[2]["before"] is None
    assert update["at"].endswith("Z")
    only = await c.get(
        "/api/v1/audit", params={"entity": "office", "entity_id": OFFICE["office_id"]}, headers=ops
    )
    assert len(only.json()["items"]) == 2
