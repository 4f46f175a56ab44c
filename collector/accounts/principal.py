"""Who is calling, and what they may see: the one place where scope is decided.

A caller is a *person* with a session cookie (roles ops, agency_admin, manager, technician) or an
automation *token* (ops, technician). Scope is by office: ops and technicians see every office;
an agency admin the offices of their agency and its sub-agencies; a manager only the offices
assigned to them, inside their agency. Callers that may not see an object get 404, not 403, so
that ids of other agencies cannot even be probed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from collector.storage import Driver


class PersonRole(StrEnum):
    OPS = "ops"
    AGENCY_ADMIN = "agency_admin"
    MANAGER = "manager"
    TECHNICIAN = "technician"


@dataclass(frozen=True, slots=True)
class Principal:
    """The resolved caller; ``csrf`` is the session's token (None for bearer tokens)."""

    role: PersonRole
    via: str  # "session" or "token"
    person_id: str | None = None
    name: str = ""
    agency_id: str | None = None
    agencies: frozenset[str] = frozenset()  # keys of the agency and its descendants
    office_ids: frozenset[str] | None = None  # a manager's offices; None = no office limit
    csrf: str | None = None

    @property
    def sees_all_offices(self) -> bool:
        return self.role in (PersonRole.OPS, PersonRole.TECHNICIAN)

    def sees_office(self, office_id: str, office_agency: str | None) -> bool:
        if self.sees_all_offices:
            return True
        if (office_agency or "").lower() not in self.agencies:
            return False
        return self.office_ids is None or office_id in self.office_ids

    def sees_agency(self, agency_id: str | None) -> bool:
        if self.role is PersonRole.OPS:
            return True
        return agency_id is not None and agency_id.lower() in self.agencies

    def to_json(self) -> dict[str, object]:
        return {
            "role": self.role.value,
            "via": self.via,
            "person_id": self.person_id,
            "name": self.name,
            "agency_id": self.agency_id,
            "agencies": sorted(self.agencies),
            "office_ids": sorted(self.office_ids) if self.office_ids is not None else None,
        }


async def agency_subtree(driver: Driver, agency_id: str | None) -> frozenset[str]:
    """Keys of ``agency_id`` and every agency below it, as offices' ``agency`` field may hold them.

    The registry's ``agency`` is free text today: an office belongs to an agency when the text
    is the agency's id or its Thai or English name, or "Thai (English)", compared in lower case.
    The agency table is small: one read, walked here.
    """
    if agency_id is None:
        return frozenset()
    rows = await driver.fetch("SELECT agency_id, parent_id, name_th, name_en FROM agencies")
    by_id = {r["agency_id"]: r for r in rows}
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
    keys: set[str] = set()
    for found in seen:
        keys.add(found.lower())
        row = by_id.get(found)
        if row is not None:
            th, en = row["name_th"], row["name_en"]
            keys.update(k.lower() for k in (th, en, f"{th} ({en})"))
    return frozenset(keys)


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
        role=role,
        via="session",
        person_id=person_id,
        name=f"{person['first_name']} {person['last_name']}",
        agency_id=person["agency_id"],
        agencies=await agency_subtree(driver, person["agency_id"]),
        office_ids=offices,
        csrf=csrf,
    )


def principal_of_token(role: str) -> Principal:
    return Principal(role=PersonRole(role), via="token")
