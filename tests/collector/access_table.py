"""What each kind of caller gets from each route of the API, for the one access matrix test.

Callers: anonymous; bearer tokens (viewer, technician, ops, an expired ops token, a revoked
one); logged-in people (ops, the agency admin of A, a manager of A's office-a, a manager of
agency B's office-b, a technician). Every object a request names belongs to agency A (office
``office-a``, device ``dev-a``, a manager of A, ...), so B's manager gets 404 wherever scope
applies. A route without a row here fails the matrix: decide who may call it, then add it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

TOKENS = ("viewer", "technician", "ops", "expired", "revoked")
PEOPLE = ("ops_person", "agency_admin_a", "manager_a", "manager_b", "tech_person")
CALLERS = ("anonymous", *TOKENS, *PEOPLE)
AGENCY_PEOPLE = ("agency_admin_a", "manager_a", "manager_b")
DEAD = {"expired": 401, "revoked": 401}  # a presented dead token: 401 on every checked route

Expect = dict[str, int]
# A request for a caller: (path with query string, JSON body or None)
Build = Callable[[str], tuple[str, Any]]


def probe(status: int = 200) -> Expect:
    """Health probes: no credential is even looked at."""
    return dict.fromkeys(CALLERS, status)


def public(status: int = 200) -> Expect:
    return {**probe(status), **DEAD}


def roles(status: int, *allowed: str, others: int = 403) -> Expect:
    """``allowed`` callers get ``status``, other authenticated callers ``others``."""
    table = {c: (status if c in allowed else others) for c in CALLERS}
    return {**table, "anonymous": 401, **DEAD}


def fleet(status: int = 200) -> Expect:
    """Fleet views: viewer/technician/ops tokens, ops and technician people (whole fleet)."""
    return roles(status, "viewer", "technician", "ops", "ops_person", "tech_person")


def registrar(status: int = 200) -> Expect:
    return roles(status, "technician", "ops", "ops_person", "tech_person")


def ops_only(status: int = 200) -> Expect:
    return roles(status, "ops", "ops_person")


def logged_in(status: int = 200) -> Expect:
    return roles(status, *TOKENS, *PEOPLE)


def office_scoped(status: int = 200) -> Expect:
    """Objects of office-a for ops, A's admin and A's manager; B's manager 404; others 403."""
    return {**roles(status, "ops", "ops_person", "agency_admin_a", "manager_a"), "manager_b": 404}


def slug(caller: str) -> str:
    return caller.replace("_", "-")


def office_body(caller: str) -> dict[str, Any]:
    return {
        "office_id": f"new-{slug(caller)}",
        "name_th": "ใหม่",
        "name_en": "New",
        "agency": "cm-mueang-chiang-mai-dopa",
    }


def device_body(caller: str) -> dict[str, Any]:
    return {"device_id": f"dev-{slug(caller)}", "office_id": "office-a"}


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


def get(path: str) -> Build:
    return lambda _c: (path, None)


def send(path: str, body: Callable[[str], Any]) -> Build:
    return lambda c: (path, body(c))


OFFICE = "/api/v1/offices/office-a"
DEVICE = "/api/v1/devices/dev-a"
# Placeholders filled by the test: {person} (a manager of A), {approve:CALLER}/{reject:CALLER}
# (a registration of that caller's own, so approvals do not collide).
TABLE: dict[tuple[str, str], tuple[Expect, Build]] = {
    ("GET", "/healthz"): (probe(), get("/healthz")),
    ("GET", "/readyz"): (probe(), get("/readyz")),
    ("GET", "/metrics"): (fleet(), get("/metrics")),
    # The registry: public projections for everyone, the fleet view for fleet roles.
    ("GET", "/api/v1/offices"): (public(), get("/api/v1/offices")),
    ("GET", "/api/v1/offices/{office_id}"): (public(), get(OFFICE)),
    ("POST", "/api/v1/offices"): (registrar(201), send("/api/v1/offices", office_body)),
    ("PUT", "/api/v1/offices/{office_id}"): (
        registrar(),
        send(OFFICE, lambda _c: {**office_body("x"), "office_id": "office-a"}),
    ),
    ("PATCH", "/api/v1/offices/{office_id}"): (
        registrar(),
        send(OFFICE, lambda c: {"address": f"by {c}"}),
    ),
    ("PUT", "/api/v1/offices/{office_id}/pin"): (
        ops_only(),
        send(f"{OFFICE}/pin", lambda _c: {"lat": 18.8, "lon": 99.0}),
    ),
    ("DELETE", "/api/v1/offices/{office_id}/pin"): (ops_only(), get(f"{OFFICE}/pin")),
    ("GET", "/api/v1/devices"): (public(), get("/api/v1/devices")),
    ("POST", "/api/v1/devices"): (registrar(201), send("/api/v1/devices", device_body)),
    ("GET", "/api/v1/devices/{device_id}"): (public(), get(DEVICE)),
    ("PUT", "/api/v1/devices/{device_id}"): (
        registrar(),
        send(DEVICE, lambda _c: {"device_id": "dev-a", "office_id": "office-a"}),
    ),
    ("PATCH", "/api/v1/devices/{device_id}"): (
        registrar(),
        send(DEVICE, lambda c: {"counter_label": slug(c)}),
    ),
    ("DELETE", "/api/v1/devices/{device_id}/retained"): (registrar(), get(f"{DEVICE}/retained")),
    ("POST", "/api/v1/devices/{device_id}/commands"): (
        ops_only(202),
        send(f"{DEVICE}/commands", lambda _c: {"type": "ping"}),
    ),
    ("GET", "/api/v1/devices/{device_id}/commands"): (ops_only(), get(f"{DEVICE}/commands")),
    ("GET", "/api/v1/ratings/summary"): (public(), get("/api/v1/ratings/summary")),
    ("GET", "/api/v1/alerts"): (fleet(), get("/api/v1/alerts")),
    ("GET", "/api/v1/dead-letters"): (ops_only(), get("/api/v1/dead-letters")),
    ("GET", "/api/v1/quarantine"): (fleet(), get("/api/v1/quarantine")),
    ("GET", "/api/v1/audit"): (ops_only(), get("/api/v1/audit")),
    # The public service catalogue, hours, zero-copy and scorecards.
    ("GET", "/api/v1/services"): (public(), get("/api/v1/services")),
    ("GET", "/api/v1/services/search"): (public(), get("/api/v1/services/search?q=test")),
    ("GET", "/api/v1/services/{service_id}"): (public(404), get("/api/v1/services/no-such")),
    ("POST", "/api/v1/services/import"): (
        registrar(),
        send("/api/v1/services/import?dry_run=true", lambda _c: []),
    ),
    ("GET", "/api/v1/nearest"): (public(), get("/api/v1/nearest?lat=18.79&lon=98.98")),
    ("GET", "/api/v1/offices/{office_id}/services"): (public(), get(f"{OFFICE}/services")),
    ("GET", "/api/v1/offices/{office_id}/hours"): (public(), get(f"{OFFICE}/hours")),
    ("GET", "/api/v1/offices/{office_id}/zero-copy"): (public(), get(f"{OFFICE}/zero-copy")),
    ("GET", "/api/v1/offices/{office_id}/scorecard"): (public(), get(f"{OFFICE}/scorecard")),
    ("GET", "/api/v1/scorecards"): (public(), get("/api/v1/scorecards")),
    # Accounts.
    ("GET", "/api/v1/me"): (logged_in(), get("/api/v1/me")),
    ("GET", "/api/v1/agencies"): (public(), get("/api/v1/agencies")),
    ("GET", "/api/v1/people"): (
        roles(200, "ops", "ops_person", "agency_admin_a"),
        get("/api/v1/people"),
    ),
    ("POST", "/api/v1/people"): (
        roles(201, "ops", "ops_person", "agency_admin_a"),
        send("/api/v1/people", person_body),
    ),
    ("GET", "/api/v1/people/{person_id}"): (
        roles(200, "ops", "ops_person", "agency_admin_a", others=404),
        get("/api/v1/people/{person}"),
    ),
    ("POST", "/api/v1/people/{person_id}/deactivate"): (
        roles(200, "ops", "ops_person", "agency_admin_a"),
        get("/api/v1/people/{person}/deactivate"),
    ),
    ("POST", "/api/v1/registrations"): (
        public(202),
        send("/api/v1/registrations", registration_body),
    ),
    ("GET", "/api/v1/registrations"): (ops_only(), get("/api/v1/registrations")),
    ("POST", "/api/v1/registrations/{registration_id}/approve"): (
        ops_only(),
        lambda c: (f"/api/v1/registrations/{{approve:{c}}}/approve", None),
    ),
    ("POST", "/api/v1/registrations/{registration_id}/reject"): (
        ops_only(),
        lambda c: (f"/api/v1/registrations/{{reject:{c}}}/reject", {"reason": "test"}),
    ),
    # The service-point survey of office-a.
    ("GET", "/api/v1/offices/{office_id}/survey"): (office_scoped(), get(f"{OFFICE}/survey")),
    ("GET", "/api/v1/offices/{office_id}/survey/versions/{version}"): (
        office_scoped(),
        get(f"{OFFICE}/survey/versions/1"),
    ),
    ("PUT", "/api/v1/offices/{office_id}/survey/draft"): (
        office_scoped(),
        send(f"{OFFICE}/survey/draft", lambda _c: {}),
    ),
    ("POST", "/api/v1/offices/{office_id}/survey/submit"): (
        office_scoped(201),
        send(f"{OFFICE}/survey/submit", lambda _c: SURVEY),
    ),
    ("GET", "/api/v1/surveys/completion"): (ops_only(), get("/api/v1/surveys/completion")),
    # Analytics: the office filter names office-a (B's manager: 404); ranking lists own scope.
    ("GET", "/api/v1/analytics/heatmap"): (
        office_scoped(),
        get("/api/v1/analytics/heatmap?office_id=office-a"),
    ),
    ("GET", "/api/v1/analytics/ranking"): (
        {**office_scoped(), "manager_b": 200},
        get("/api/v1/analytics/ranking"),
    ),
    ("GET", "/api/v1/analytics/export"): (
        office_scoped(),
        get("/api/v1/analytics/export?report=heatmap&office_id=office-a"),
    ),
    ("GET", "/api/v1/analytics/trend"): (
        office_scoped(),
        get("/api/v1/analytics/trend?office_id=office-a&grain=week"),
    ),
    ("GET", "/api/v1/analytics/distribution"): (
        office_scoped(),
        get("/api/v1/analytics/distribution?office_id=office-a"),
    ),
    ("GET", "/api/v1/analytics/sessions"): (
        office_scoped(),
        get("/api/v1/analytics/sessions?office_id=office-a"),
    ),
    # Citizen feedback (issue 11): the form's API is public; an office's comments, their
    # moderation and its counters' QR codes are office-scoped; the signing keys are ops'.
    ("POST", "/api/v1/feedback"): (
        public(201),
        send("/api/v1/feedback", lambda c: {"token": "{qr}", "score": 3, "comment": f"by {c}"}),
    ),
    ("GET", "/api/v1/feedback/status/{reference}"): (
        public(),
        get("/api/v1/feedback/status/{fbref}?secret={fbsecret}"),
    ),
    ("GET", "/api/v1/offices/{office_id}/feedback"): (office_scoped(), get(f"{OFFICE}/feedback")),
    ("POST", "/api/v1/feedback/{comment_id}/hide"): (
        office_scoped(),
        send("/api/v1/feedback/{comment}/hide", lambda _c: {"hidden": False}),
    ),
    ("PUT", "/api/v1/feedback/{comment_id}/reply"): (
        office_scoped(),
        send("/api/v1/feedback/{comment}/reply", lambda c: {"text": f"reply by {c}"}),
    ),
    ("GET", "/api/v1/offices/{office_id}/qr"): (office_scoped(), get(f"{OFFICE}/qr")),
    ("GET", "/api/v1/offices/{office_id}/qr/{counter_label}"): (
        office_scoped(404),  # no such counter: the scope check comes first
        get(f"{OFFICE}/qr/no-such-counter"),
    ),
    ("GET", "/api/v1/feedback/keys"): (ops_only(), get("/api/v1/feedback/keys")),
    ("POST", "/api/v1/feedback/keys/rotate"): (
        ops_only(201),
        send("/api/v1/feedback/keys/rotate", lambda _c: {"grace_days": 30}),
    ),
    # Complaint cases: the 1111 centre's callback is signed (HMAC), not a credential, so every
    # caller without the signature gets 403; the outbox and case views are ops'.
    ("POST", "/api/v1/cases/callback"): (probe(403), get("/api/v1/cases/callback")),
    ("GET", "/api/v1/cases/outbox"): (ops_only(), get("/api/v1/cases/outbox?status=dead")),
    ("POST", "/api/v1/cases/outbox/{case_id}/retry"): (
        ops_only(404),
        get("/api/v1/cases/outbox/no-such-case/retry"),
    ),
    ("GET", "/api/v1/cases/{case_id}"): (ops_only(404), get("/api/v1/cases/no-such-case")),
}
