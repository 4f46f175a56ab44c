"""Who may call what: every route of the OpenAPI document × every kind of caller (access_table).

One matrix for the one caller model: anonymous, five bearer tokens (viewer, technician, ops,
expired, revoked) and five logged-in people (ops, agency admin of A, manager of A, manager of
B, technician) sending their session's CSRF token on writes. The route list comes from
``app.openapi()``, so a route added later without an expectation fails here. The app runs with
its lifespan and MQTT ingest (real broker), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest

from collector.api.app import create_app
from collector.tokens import Role, create_token, revoke_token, token_id_of
from tests.collector.access_table import CALLERS, TABLE
from tests.collector.accounts.rig import Rig, csrf_of, running_rig
from tests.collector.conftest import make_settings
from tests.fixtures.broker import MosquittoBroker
from tests.fixtures.smtp import SmtpSink

AGENCY_A = "cm-mueang-chiang-mai-dopa"
AGENCY_B = "cm-chom-thong-dopa"
PEOPLE = {
    "ops_person": ("ops@example.go.th", "ops", None, ()),
    "agency_admin_a": ("admin-a@example.go.th", "agency_admin", AGENCY_A, ()),
    "manager_a": ("manager-a@example.go.th", "manager", AGENCY_A, ["office-a"]),
    "manager_b": ("manager-b@example.go.th", "manager", AGENCY_B, ["office-b"]),
    "tech_person": ("tech@example.go.th", "technician", None, ()),
}
PLACEHOLDER = re.compile(r"\{(\w+)(?::(\w+))?\}")


@pytest.fixture
async def rig(db_url: str, smtp_server: SmtpSink, mosquitto: MosquittoBroker) -> AsyncIterator[Rig]:
    # Hundreds of calls from one address in a minute: the limits themselves are test_hygiene's.
    limits = {"rate_limit_public": "100000/minute", "rate_limit_auth_failures": "100000/minute"}
    async with running_rig(
        db_url, smtp_server, mosquitto, collector_settings=limits, form_client_limit="1000/hour"
    ) as r:
        yield r


def test_every_route_has_an_expectation() -> None:
    app = create_app(make_settings(":memory:"), ingest=False)
    routes = {(m.upper(), p) for p, item in app.openapi()["paths"].items() for m in item}
    assert sorted(routes - set(TABLE)) == [], "routes without an access expectation"
    assert sorted(set(TABLE) - routes) == [], "expectations for routes that are gone"
    assert all(set(expect) == set(CALLERS) for expect, _build in TABLE.values())


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


async def _feedback_values(rig: Rig, client: httpx.AsyncClient) -> dict[str, str]:
    """A counter token of office-a, and one stored comment (its id, reference and secret)."""
    token = await rig.app.state.feedback.signer(rig.driver).issue("office-a", "1")
    r = await client.post("/api/v1/feedback", json={"token": token, "comment": "matrix"})
    assert r.status_code == 201, r.text
    reference, secret = r.json()["status_url"].rsplit("/", 2)[-2:]
    comment = await rig.driver.fetchval(
        "SELECT comment_id FROM feedback_comments WHERE reference = ?", reference
    )
    return {"qr": token, "fbref": reference, "fbsecret": secret, "comment": str(comment)}


async def _token_headers(rig: Rig) -> dict[str, dict[str, str]]:
    driver = rig.driver
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
    return {c: {"Authorization": f"Bearer {t}"} for c, t in tokens.items()}


async def test_every_route_for_every_caller(rig: Rig) -> None:
    await rig.office("office-a", AGENCY_A)
    await rig.office("office-b", AGENCY_B)
    async with AsyncExitStack() as stack:
        admin = await stack.enter_async_context(rig.client())
        device = {"device_id": "dev-a", "office_id": "office-a"}
        assert (await admin.post("/api/v1/devices", json=device, headers=rig.tech)).is_success
        r = await admin.put("/api/v1/offices/office-a/survey/draft", json={}, headers=rig.ops)
        assert r.status_code == 200
        values = {
            "person": await rig.add_person(
                "target@example.go.th", "manager", AGENCY_A, ["office-a"]
            )
        }
        values.update(await _feedback_values(rig, admin))
        for caller in CALLERS:
            for action in ("approve", "reject"):
                email = f"{action}-{caller.replace('_', '-')}@example.go.th"
                values[f"{action}:{caller}"] = await _registration(rig, admin, email)

        clients: dict[str, tuple[httpx.AsyncClient, dict[str, str]]] = {}
        for caller, headers in (await _token_headers(rig)).items():
            clients[caller] = (admin, headers)
        for caller, (email, role, agency, offices) in PEOPLE.items():
            c = await stack.enter_async_context(rig.person(email, role, agency, offices))
            clients[caller] = (c, {"X-CSRF-Token": csrf_of((await c.get("/account")).text)})
        clients["anonymous"] = (await stack.enter_async_context(rig.client()), {})
        assert set(clients) == set(CALLERS)

        routes = [
            (method.upper(), path)
            for path, operations in rig.app.openapi()["paths"].items()
            for method in operations
        ]
        assert sorted(routes) == sorted(TABLE), "the table and the OpenAPI routes differ"

        wrong = []
        seen: dict[int, int] = {}
        for method, template in routes:
            expect, build = TABLE[(method, template)]
            for caller in CALLERS:
                path, body = build(caller)
                path = PLACEHOLDER.sub(lambda m: values[m.group(0)[1:-1]], path)
                if isinstance(body, dict):  # e.g. the feedback form's counter token
                    body = {
                        k: PLACEHOLDER.sub(lambda m: values[m.group(0)[1:-1]], v)
                        if isinstance(v, str)
                        else v
                        for k, v in body.items()
                    }
                client, headers = clients[caller]
                r = await client.request(method, path, headers=headers, json=body)
                seen[r.status_code] = seen.get(r.status_code, 0) + 1
                if r.status_code != expect[caller]:
                    wrong.append(
                        f"{method} {template} as {caller}: {r.status_code} "
                        f"(expected {expect[caller]}) {r.text[:120]}"
                    )
                if r.status_code == 401:
                    assert r.headers.get("www-authenticate") == "Bearer", (method, template)
        assert not wrong, "\n".join(wrong)
        assert sum(seen.values()) == len(routes) * len(CALLERS)
        assert seen[404] >= len(routes) // 4  # B's manager, people outside a caller's scope
