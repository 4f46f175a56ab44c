"""Registration API: the public request (rate limited, honeypot) and ops' decisions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from collector.accounts.context import AccountContext, client_address, get_context
from collector.accounts.guards import CallerDep, allow
from collector.accounts.people import AccountError
from collector.accounts.principal import PersonRole
from collector.accounts.registration import (
    RegistrationIn,
    approve,
    list_registrations,
    reject,
    submit,
)
from collector.api.deps import DriverDep, get_principal

router = APIRouter(
    prefix="/api/v1/registrations",
    tags=["registration"],
    # Every API route resolves the caller: a dead token is 401, a cookie write needs CSRF.
    dependencies=[Depends(get_principal)],
)
ContextDep = Annotated[AccountContext, Depends(get_context)]
RegistrationPath = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: Annotated[str, Field(min_length=1, max_length=500)]


@router.post("", status_code=202, summary="Ask to register an agency's contact (public)")
async def register(
    request: Request, driver: DriverDep, ctx: ContextDep, body: RegistrationIn
) -> dict[str, Any]:
    if not await ctx.limiter.form_allowed("register", client_address(request)):
        raise HTTPException(429, "client: too many registrations from this address, try later")
    try:
        await submit(driver, body)
    except AccountError as exc:
        raise HTTPException(422, f"{exc.field}: {exc.key}") from exc
    # The same answer whether stored or dropped by the honeypot: bots learn nothing.
    return {"status": "received"}


@router.get("", summary="Registration requests (ops)")
async def registrations(
    driver: DriverDep,
    principal: CallerDep,
    status: Annotated[Literal["pending", "approved", "rejected"] | None, Query()] = None,
) -> dict[str, Any]:
    allow(principal, PersonRole.OPS)
    return {"registrations": await list_registrations(driver, status)}


@router.post("/{registration_id}/approve", summary="Approve (ops): emails a set-password link")
async def approve_one(
    driver: DriverDep, ctx: ContextDep, principal: CallerDep, registration_id: RegistrationPath
) -> dict[str, Any]:
    allow(principal, PersonRole.OPS)
    person_id = await approve(driver, ctx, registration_id, principal.person_id or "token")
    return {"registration_id": registration_id, "status": "approved", "person_id": person_id}


@router.post("/{registration_id}/reject", summary="Reject (ops) with a reason sent by email")
async def reject_one(
    driver: DriverDep,
    ctx: ContextDep,
    principal: CallerDep,
    registration_id: RegistrationPath,
    body: Rejection,
) -> dict[str, Any]:
    allow(principal, PersonRole.OPS)
    await reject(driver, ctx, registration_id, principal.person_id or "token", body.reason)
    return {"registration_id": registration_id, "status": "rejected"}
