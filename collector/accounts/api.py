"""JSON API of accounts: who am I, people (ops and agency admins), the agency list (public)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path

from collector.accounts.context import AccountContext, get_context
from collector.accounts.guards import CallerDep, allow
from collector.accounts.people import AccountError, PersonIn, create_person
from collector.accounts.principal import PersonRole, Principal
from collector.accounts.sessions import revoke_sessions
from collector.api.deps import DriverDep, PageDep, get_principal
from collector.storage import Driver, Row

router = APIRouter(
    prefix="/api/v1",
    tags=["accounts"],
    # Every API route resolves the caller: a dead token is 401, a cookie write needs CSRF.
    dependencies=[Depends(get_principal)],
)
ContextDep = Annotated[AccountContext, Depends(get_context)]
PersonPath = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
_PERSON_COLUMNS = "person_id, email, first_name, last_name, phone, role, agency_id, active"


def _person_json(row: Row, offices: list[str]) -> dict[str, Any]:
    return {**row, "active": bool(row["active"]), "office_ids": offices}


async def _offices_of(driver: Driver, person_id: str) -> list[str]:
    rows = await driver.fetch(
        "SELECT office_id FROM person_offices WHERE person_id = ? ORDER BY office_id", person_id
    )
    return [r["office_id"] for r in rows]


def _sees_person(principal: Principal, row: Row) -> bool:
    if principal.role == PersonRole.OPS or principal.person_id == row["person_id"]:
        return True
    return principal.role == PersonRole.AGENCY_ADMIN and principal.sees_agency(row["agency_id"])


@router.get("/me", summary="The caller: role, agency and office scope")
async def me(principal: CallerDep) -> dict[str, object]:
    return principal.to_json()


@router.get("/agencies", summary="The agency hierarchy (public: the registration form uses it)")
async def agencies(driver: DriverDep) -> dict[str, Any]:
    rows = await driver.fetch(
        "SELECT agency_id, parent_id, level, name_th, name_en, province FROM agencies "
        "ORDER BY agency_id"
    )
    return {"agencies": rows}


@router.get("/people", summary="People the caller administers (ops: all, agency admin: agency)")
async def list_people(driver: DriverDep, principal: CallerDep, page: PageDep) -> dict[str, Any]:
    allow(principal, PersonRole.OPS, PersonRole.AGENCY_ADMIN)
    rows = await driver.fetch(f"SELECT {_PERSON_COLUMNS} FROM people ORDER BY email")  # noqa: S608 - constant columns
    visible = [r for r in rows if _sees_person(principal, r)]
    chunk = visible[page.offset : page.offset + page.limit]
    return {
        "people": [_person_json(r, await _offices_of(driver, r["person_id"])) for r in chunk],
        "next_offset": page.next_offset(len(chunk)),
    }


@router.post("/people", status_code=201, summary="Add a person; they get a set-password link")
async def add_person(
    driver: DriverDep, principal: CallerDep, ctx: ContextDep, person: PersonIn
) -> dict[str, Any]:
    allow(principal, PersonRole.OPS, PersonRole.AGENCY_ADMIN)
    if principal.role == PersonRole.AGENCY_ADMIN:
        if person.role not in (PersonRole.AGENCY_ADMIN, PersonRole.MANAGER):
            raise HTTPException(403, "role: an agency admin adds managers and agency admins")
        if not principal.sees_agency(person.agency_id):
            raise HTTPException(404, f"agency_id: no agency {person.agency_id}")
    try:
        person_id = await create_person(driver, ctx, person)
    except AccountError as exc:
        raise HTTPException(422, f"{exc.field}: {exc.key}") from exc
    return {"person_id": person_id}


async def _person_in_scope(driver: Driver, principal: Principal, person_id: str) -> Row:
    row = await driver.fetchrow(
        f"SELECT {_PERSON_COLUMNS} FROM people WHERE person_id = ?",  # noqa: S608 - constant
        person_id,
    )
    if row is None or not _sees_person(principal, row):
        raise HTTPException(404, f"person_id: no person {person_id}")
    return row


@router.get("/people/{person_id}", summary="One person (404 outside the caller's scope)")
async def get_person(driver: DriverDep, principal: CallerDep, person_id: PersonPath) -> Any:
    row = await _person_in_scope(driver, principal, person_id)
    return _person_json(row, await _offices_of(driver, person_id))


@router.post(
    "/people/{person_id}/deactivate", summary="Disable a person and end all their sessions"
)
async def deactivate(driver: DriverDep, principal: CallerDep, person_id: PersonPath) -> Any:
    allow(principal, PersonRole.OPS, PersonRole.AGENCY_ADMIN)
    await _person_in_scope(driver, principal, person_id)
    async with driver.transaction() as tx:
        await tx.execute("UPDATE people SET active = 0 WHERE person_id = ?", person_id)
    ended = await revoke_sessions(driver, person_id)
    return {"person_id": person_id, "active": False, "sessions_ended": ended}
