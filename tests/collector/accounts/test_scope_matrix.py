"""Every route of the OpenAPI document × six callers: the status each must get (scope_table).

The routes come from ``app.openapi()``, so a route added later without an expectation fails
here. Objects named in paths belong to agency A; a manager of agency B must get 404 for them.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest

from tests.collector.accounts.rig import Rig, csrf_of, running_rig
from tests.collector.accounts.scope_table import CALLERS, QUERY, TABLE
from tests.fixtures.broker import MosquittoBroker
from tests.fixtures.smtp import SmtpSink

AGENCY_A = "cm-mueang-chiang-mai-dopa"
AGENCY_B = "cm-chom-thong-dopa"


@pytest.fixture
async def rig(db_url: str, smtp_server: SmtpSink, mosquitto: MosquittoBroker) -> AsyncIterator[Rig]:
    async with running_rig(db_url, smtp_server, mosquitto, form_client_limit="1000/hour") as r:
        yield r


async def _registration(rig: Rig, client: httpx.AsyncClient, email: str) -> str:
    body = {
        "agency_id": AGENCY_A,
        "first_name": "ก",
        "last_name": "ข",
        "email": email,
        "phone": "053000000",
    }
    assert (await client.post("/api/v1/registrations", json=body)).status_code == 202
    rows = (await client.get("/api/v1/registrations", headers=rig.ops)).json()["registrations"]
    return next(r["registration_id"] for r in rows if r["email"] == email)


async def test_every_route_for_every_caller(rig: Rig) -> None:
    await rig.office("office-a", AGENCY_A)
    await rig.office("office-b", AGENCY_B)
    async with AsyncExitStack() as stack:
        admin = await stack.enter_async_context(rig.client())
        r = await admin.post(
            "/api/v1/devices",
            json={"device_id": "dev-a", "office_id": "office-a"},
            headers=rig.tech,
        )
        assert r.status_code == 201
        r = await admin.put("/api/v1/offices/office-a/survey/draft", json={}, headers=rig.ops)
        assert r.status_code == 200
        target = await rig.add_person("target-a@example.go.th", "manager", AGENCY_A, ["office-a"])
        params = {
            "office_id": "office-a",
            "device_id": "dev-a",
            "person_id": target,
            "version": "1",
            "service_id": "no-such-service",
        }
        registrations = {
            "approve": await _registration(rig, admin, "approve-me@example.go.th"),
            "reject": await _registration(rig, admin, "reject-me@example.go.th"),
        }
        people = {
            "ops": ("ops@example.go.th", "ops", None, ()),
            "agency_admin_a": ("admin-a@example.go.th", "agency_admin", AGENCY_A, ()),
            "manager_a": ("manager-a@example.go.th", "manager", AGENCY_A, ["office-a"]),
            "manager_b": ("manager-b@example.go.th", "manager", AGENCY_B, ["office-b"]),
            "technician": ("tech@example.go.th", "technician", None, ()),
        }
        clients: dict[str, tuple[httpx.AsyncClient, dict[str, str]]] = {}
        for name, (email, role, agency, offices) in people.items():
            c = await stack.enter_async_context(rig.person(email, role, agency, offices))
            clients[name] = (c, {"X-CSRF-Token": csrf_of((await c.get("/account")).text)})
        clients["anonymous"] = (await stack.enter_async_context(rig.client()), {})

        routes = [
            (method.upper(), path)
            for path, operations in rig.app.openapi()["paths"].items()
            for method in operations
        ]
        missing = [r for r in routes if r not in TABLE]
        assert not missing, f"routes without a scope expectation: {missing}"
        stale = [r for r in TABLE if r not in routes]
        assert not stale, f"expectations for routes that no longer exist: {stale}"

        wrong = []
        seen: dict[int, int] = {}
        for method, path in routes:
            expect, body = TABLE[(method, path)]
            url = path
            for name, value in params.items():
                url = url.replace("{" + name + "}", value)
            if "{registration_id}" in url:
                url = url.replace("{registration_id}", registrations[url.rsplit("/", 1)[1]])
            assert not re.search(r"\{\w+\}", url), f"no value for a parameter of {path}"
            if (method, path) in QUERY:
                url += "?" + QUERY[(method, path)]
            for caller in CALLERS:
                client, headers = clients[caller]
                r = await client.request(
                    method, url, headers=headers, json=body(caller) if body else None
                )
                seen[r.status_code] = seen.get(r.status_code, 0) + 1
                if r.status_code != expect[caller]:
                    wrong.append(
                        f"{method} {path} as {caller}: {r.status_code} "
                        f"(expected {expect[caller]}) {r.text[:120]}"
                    )
        assert not wrong, "\n".join(wrong)
        assert sum(seen.values()) == len(routes) * len(CALLERS)
        assert seen[404] >= 5  # B's manager, and people outside a caller's scope
