"""What each caller gets from each route of the API, for the scope matrix test.

Every object a request names belongs to agency A (office ``office-a``, device ``dev-a``, a
manager of A, ...). Callers: ops, the agency admin of A, a manager of A (office-a), a manager of
agency B (office-b), a technician (all logged in with a session), and anonymous. A new route
without a row here fails the matrix test: decide who may call it, then add it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CALLERS = ("anonymous", "technician", "manager_b", "manager_a", "agency_admin_a", "ops")
Expect = dict[str, int]
Body = Callable[[str], Any] | None


def public(status: int = 200) -> Expect:
    return dict.fromkeys(CALLERS, status)


def logged_in(status: int = 200) -> Expect:
    return {**public(status), "anonymous": 401}


def ops_only(status: int = 200) -> Expect:
    return {**logged_in(403), "ops": status}


def registrar(status: int = 200) -> Expect:
    """Registry writes: technicians and ops; agency people are refused."""
    return {**ops_only(status), "technician": status}


def office_scoped(status: int = 200) -> Expect:
    """Objects of office-a: ops, A's admin and A's manager; B's manager sees nothing (404)."""
    return {
        "anonymous": 401,
        "technician": 403,
        "manager_b": 404,
        "manager_a": status,
        "agency_admin_a": status,
        "ops": status,
    }


def office_body(caller: str) -> dict[str, Any]:
    return {
        "office_id": f"new-{caller.replace('_', '-')}",
        "name_th": "ใหม่",
        "name_en": "New",
        "agency": "cm-mueang-chiang-mai-dopa",
    }


def device_body(caller: str) -> dict[str, Any]:
    return {"device_id": f"dev-{caller.replace('_', '-')}", "office_id": "office-a"}


def person_body(caller: str) -> dict[str, Any]:
    return {
        "email": f"new-{caller}@example.go.th",
        "first_name": "ก",
        "last_name": "ข",
        "role": "manager",
        "agency_id": "cm-mueang-chiang-mai-dopa",
        "office_ids": ["office-a"],
    }


def registration_body(caller: str) -> dict[str, Any]:
    return {
        "agency_id": "cm-mueang-chiang-mai-dopa",
        "first_name": "ก",
        "last_name": "ข",
        "email": f"reg-{caller}@example.go.th",
        "phone": "053000000",
    }


SURVEY = {
    "channels": [{"kind": "counter"}],
    "service_points": 1,
    "counters_per_point": 1,
    "overhaul": "none",
}

# (METHOD, path) -> (expected status per caller, JSON body builder or None)
TABLE: dict[tuple[str, str], tuple[Expect, Body]] = {
    ("GET", "/healthz"): (public(), None),
    ("GET", "/readyz"): (public(), None),
    ("GET", "/metrics"): (public(), None),
    # The public map and fleet reads are public today (the public/fleet split is another part).
    ("GET", "/api/v1/offices"): (public(), None),
    ("GET", "/api/v1/offices/{office_id}"): (public(), None),
    ("POST", "/api/v1/offices"): (registrar(201), office_body),
    ("PUT", "/api/v1/offices/{office_id}"): (
        registrar(),
        lambda _c: {**office_body("x"), "office_id": "office-a"},
    ),
    ("PUT", "/api/v1/offices/{office_id}/pin"): (ops_only(), lambda _c: {"lat": 18.8, "lon": 99.0}),
    ("DELETE", "/api/v1/offices/{office_id}/pin"): (ops_only(), None),
    ("GET", "/api/v1/devices"): (public(), None),
    ("POST", "/api/v1/devices"): (registrar(201), device_body),
    ("GET", "/api/v1/devices/{device_id}"): (public(), None),
    ("PUT", "/api/v1/devices/{device_id}"): (
        registrar(),
        lambda _c: {"device_id": "dev-a", "office_id": "office-a"},
    ),
    ("POST", "/api/v1/devices/{device_id}/commands"): (ops_only(202), lambda _c: {"type": "ping"}),
    ("GET", "/api/v1/devices/{device_id}/commands"): (ops_only(), None),
    ("GET", "/api/v1/ratings/summary"): (public(), None),
    ("GET", "/api/v1/alerts"): (public(), None),
    ("GET", "/api/v1/dead-letters"): (ops_only(), None),
    ("GET", "/api/v1/quarantine"): (ops_only(), None),
    # The public service catalogue, hours, zero-copy and scorecards (public by design).
    ("GET", "/api/v1/services"): (public(), None),
    ("GET", "/api/v1/services/search"): (public(), None),
    ("GET", "/api/v1/services/{service_id}"): (public(404), None),  # an id nobody has
    ("POST", "/api/v1/services/import"): (registrar(), lambda _c: {}),  # an empty dry run
    ("GET", "/api/v1/nearest"): (public(), None),
    ("GET", "/api/v1/offices/{office_id}/services"): (public(), None),
    ("GET", "/api/v1/offices/{office_id}/hours"): (public(), None),
    ("GET", "/api/v1/offices/{office_id}/zero-copy"): (public(), None),
    ("GET", "/api/v1/offices/{office_id}/scorecard"): (public(), None),
    ("GET", "/api/v1/scorecards"): (public(), None),
    # Accounts.
    ("GET", "/api/v1/me"): (logged_in(), None),
    ("GET", "/api/v1/agencies"): (public(), None),
    ("GET", "/api/v1/people"): ({**ops_only(), "agency_admin_a": 200}, None),
    ("POST", "/api/v1/people"): ({**ops_only(201), "agency_admin_a": 201}, person_body),
    ("GET", "/api/v1/people/{person_id}"): (
        {**logged_in(404), "agency_admin_a": 200, "ops": 200},
        None,
    ),
    ("POST", "/api/v1/people/{person_id}/deactivate"): (
        {**ops_only(), "agency_admin_a": 200},
        None,
    ),
    ("POST", "/api/v1/registrations"): (public(202), registration_body),
    ("GET", "/api/v1/registrations"): (ops_only(), None),
    ("POST", "/api/v1/registrations/{registration_id}/approve"): (ops_only(), None),
    ("POST", "/api/v1/registrations/{registration_id}/reject"): (
        ops_only(),
        lambda _c: {"reason": "test"},
    ),
    # Survey.
    ("GET", "/api/v1/offices/{office_id}/survey"): (office_scoped(), None),
    ("GET", "/api/v1/offices/{office_id}/survey/versions/{version}"): (office_scoped(), None),
    ("PUT", "/api/v1/offices/{office_id}/survey/draft"): (office_scoped(), lambda _c: {}),
    ("POST", "/api/v1/offices/{office_id}/survey/submit"): (office_scoped(201), lambda _c: SURVEY),
    ("GET", "/api/v1/surveys/completion"): (ops_only(), None),
    # Analytics: the office filter names office-a (B's manager: 404); ranking lists own scope.
    ("GET", "/api/v1/analytics/heatmap"): (office_scoped(), None),
    ("GET", "/api/v1/analytics/ranking"): ({**office_scoped(), "manager_b": 200}, None),
    ("GET", "/api/v1/analytics/export"): (office_scoped(), None),
    ("GET", "/api/v1/analytics/trend"): (office_scoped(), None),
    ("GET", "/api/v1/analytics/distribution"): (office_scoped(), None),
    ("GET", "/api/v1/analytics/sessions"): (office_scoped(), None),
}
# Query strings for routes that take them (the office filter is agency A's office).
QUERY: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/services/search"): "q=test",
    ("POST", "/api/v1/services/import"): "dry_run=true",
    ("GET", "/api/v1/nearest"): "lat=18.79&lon=98.98",
    ("GET", "/api/v1/analytics/heatmap"): "office_id=office-a",
    ("GET", "/api/v1/analytics/export"): "report=heatmap&office_id=office-a",
    ("GET", "/api/v1/analytics/trend"): "office_id=office-a&grain=week",
    ("GET", "/api/v1/analytics/distribution"): "office_id=office-a",
    ("GET", "/api/v1/analytics/sessions"): "office_id=office-a",
}
