"""Route guards over the caller: logged in, role allowed, CSRF for cookie writes, scope → 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException

from collector.accounts.principal import PersonRole, Principal
from collector.api.deps import PrincipalDep
from collector.storage import Driver


async def require_caller(principal: PrincipalDep) -> Principal:
    """A logged-in person or a token (the CSRF check of cookie writes is in ``get_principal``)."""
    if not principal.authenticated:
        raise HTTPException(
            401,
            "Authorization: log in or send a bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


CallerDep = Annotated[Principal, Depends(require_caller)]


def allow(principal: Principal, *roles: PersonRole) -> None:
    if principal.role not in roles:
        raise HTTPException(403, f"Authorization: this needs the role {' or '.join(roles)}")


async def office_in_scope(driver: Driver, principal: Principal, office_id: str) -> dict[str, str]:
    """The office row, or 404 when it does not exist *or* the caller may not see it."""
    row = await driver.fetchrow(
        "SELECT office_id, agency_id, province, name_th, name_en FROM offices WHERE office_id = ?",
        office_id,
    )
    if row is None or not principal.sees_office(office_id, row["agency_id"]):
        raise HTTPException(404, f"office_id: no office {office_id}")
    return row


async def visible_offices(driver: Driver, principal: Principal) -> frozenset[str] | None:
    """The office ids ``principal`` may see; None when the caller sees every office."""
    if principal.sees_all_offices:
        return None
    if not principal.agencies:
        return frozenset()
    ids = sorted(principal.agencies)
    marks = ", ".join("?" for _ in ids)
    rows = await driver.fetch(
        f"SELECT office_id FROM offices WHERE agency_id IN ({marks})",  # noqa: S608 - placeholders
        *ids,
    )
    found = frozenset(r["office_id"] for r in rows)
    return found if principal.office_ids is None else found & principal.office_ids
