"""Who is calling, and what they may see: the one place where scope is decided.

A caller is anonymous, a *person* with a session cookie (roles ops, agency_admin, manager,
technician) or an automation *token* (viewer, technician, ops; technician writes optionally
scoped). Scope is by office: tokens, ops and technicians see every office; an agency admin the
offices of their agency and its sub-agencies; a manager only the offices assigned to them, inside
their agency (offices carry ``agency_id``). Agency people see the fleet view of their own offices
and devices (alerts included); fleet-wide views (metrics, quarantine) are not theirs. Callers
that may not see an object get 404, not 403, so that ids of other agencies cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from collector.audit import Actor
from collector.storage import Driver
from collector.tokens import Role, Scope

FLEET_ROLES = frozenset({Role.VIEWER, Role.TECHNICIAN, Role.OPS})
REGISTRAR_ROLES = frozenset({Role.TECHNICIAN, Role.OPS})
OPS_ROLES = frozenset({Role.OPS})


class PersonRole(StrEnum):
    """A person's role. Values equal the token roles of the same name (``ops``, ``technician``),
    so a logged-in ops or technician passes the same ``require(...)`` checks as their token."""

    OPS = "ops"
    AGENCY_ADMIN = "agency_admin"
    MANAGER = "manager"
    TECHNICIAN = "technician"


@dataclass(frozen=True, slots=True)
class Principal:
    """The one caller type: ``kind`` is ``anonymous``, ``token`` or ``session`` (a person).

    ``id`` is the token id or the person id; ``scope`` limits a technician token's registry
    writes; ``agencies``/``office_ids`` are a person's office scope; ``csrf`` is the session's
    CSRF token (None for tokens), checked on cookie-authenticated writes.
    """

    kind: str
    role: Role | PersonRole | None = None
    id: str | None = None
    name: str = "anonymous"
    scope: Scope = field(default_factory=Scope)
    agency_id: str | None = None
    agencies: frozenset[str] = frozenset()  # ids of the agency and its descendants
    office_ids: frozenset[str] | None = None  # a manager's offices; None = no office limit
    csrf: str | None = None

    @property
    def via(self) -> str:
        return self.kind

    @property
    def person_id(self) -> str | None:
        return self.id if self.kind == "session" else None

    @property
    def authenticated(self) -> bool:
        return self.role is not None

    def has(self, roles: frozenset[Role] | frozenset[PersonRole]) -> bool:
        return self.role in roles

    @property
    def reads_fleet(self) -> bool:
        """Fleet views over the whole fleet: fingerprints, versions, hardware, seqs, alerts,
        metrics. Agency admins and managers get the same views of their own offices only
        (``reads_agency_fleet``)."""
        return self.has(FLEET_ROLES)

    @property
    def reads_agency_fleet(self) -> bool:
        """Agency admins and managers: the fleet view of their own offices and devices only
        (other agencies' objects answer 404); fleet-wide views (metrics, quarantine) stay closed."""
        return self.role in (PersonRole.AGENCY_ADMIN, PersonRole.MANAGER)

    @property
    def reads_exact_ratings(self) -> bool:
        """Rating summaries over any window, small counts shown (ops only)."""
        return self.has(OPS_ROLES)

    def may_write(self, office_id: str, province: str | None) -> bool:
        """Registry writes touching ``office_id`` (in ``province``)."""
        return self.has(REGISTRAR_ROLES) and self.scope.allows(office_id, province)

    @property
    def actor(self) -> Actor:
        role = self.role.value if self.role else ""
        return Actor(self.id or "anonymous", self.name, role)

    @property
    def sees_all_offices(self) -> bool:
        return self.kind == "token" or self.role in (PersonRole.OPS, PersonRole.TECHNICIAN)

    def sees_office(self, office_id: str, office_agency_id: str | None) -> bool:
        """``office_agency_id`` is the office's ``agency_id`` (migration 9), never free text."""
        if self.sees_all_offices:
            return True
        if office_agency_id is None or office_agency_id not in self.agencies:
            return False
        return self.office_ids is None or office_id in self.office_ids

    def sees_agency(self, agency_id: str | None) -> bool:
        if self.role == PersonRole.OPS:
            return True
        return agency_id is not None and agency_id in self.agencies

    def to_json(self) -> dict[str, object]:
        return {
            "role": self.role.value if self.role else None,
            "via": self.kind,
            "person_id": self.person_id,
            "name": self.name,
            "agency_id": self.agency_id,
            "agencies": sorted(self.agencies),
            "office_ids": sorted(self.office_ids) if self.office_ids is not None else None,
        }


ANONYMOUS = Principal("anonymous")


async def agency_subtree(driver: Driver, agency_id: str | None) -> frozenset[str]:
    """Ids of ``agency_id`` and every agency below it (offices carry ``agency_id``).

    The agency table is small: one read, walked here.
    """
    if agency_id is None:
        return frozenset()
    rows = await driver.fetch("SELECT agency_id, parent_id FROM agencies")
    children: dict[str, list[str]] = {}
    for r in rows:
        if r["parent_id"] is not None:
            children.setdefault(r["parent_id"], []).append(r["agency_id"])
    seen = {agency_id}
    todo = [agency_id]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return frozenset(seen)


async def principal_of_person(driver: Driver, person_id: str, csrf: str | None) -> Principal | None:
    """The principal of an active person (for a session), or None."""
    person = await driver.fetchrow(
        "SELECT person_id, first_name, last_name, role, agency_id, active FROM people "
        "WHERE person_id = ?",
        person_id,
    )
    if person is None or not person["active"]:
        return None
    role = PersonRole(person["role"])
    offices: frozenset[str] | None = None
    if role is PersonRole.MANAGER:
        rows = await driver.fetch(
            "SELECT office_id FROM person_offices WHERE person_id = ?", person_id
        )
        offices = frozenset(r["office_id"] for r in rows)
    return Principal(
        kind="session",
        role=role,
        id=person_id,
        name=f"{person['first_name']} {person['last_name']}",
        agency_id=person["agency_id"],
        agencies=await agency_subtree(driver, person["agency_id"]),
        office_ids=offices,
        csrf=csrf,
    )
