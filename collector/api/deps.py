"""FastAPI dependencies: the running collector, its database, the caller's role, pagination."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, HTTPException, Query, Request

from collector.accounts.principal import Principal
from collector.accounts.resolve import resolve_principal, session_registry_role
from collector.accounts.sessions import SESSION_COOKIE
from collector.config import Settings
from collector.runtime import Collector
from collector.storage import Driver
from collector.tokens import Role, role_of


def get_collector(request: Request) -> Collector:
    collector: Collector = request.app.state.collector
    return collector


CollectorDep = Annotated[Collector, Depends(get_collector)]


def get_driver(collector: CollectorDep) -> Driver:
    return collector.driver


def get_settings(collector: CollectorDep) -> Settings:
    return collector.settings


DriverDep = Annotated[Driver, Depends(get_driver)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def caller_role(
    request: Request, driver: DriverDep, authorization: Annotated[str | None, Header()] = None
) -> Role:
    if not authorization or not authorization.lower().startswith("bearer "):
        # A logged-in ops/technician person (session cookie; CSRF checked for writes).
        session_role = await session_registry_role(
            driver,
            request.cookies.get(SESSION_COOKIE),
            request.method,
            request.headers.get("x-csrf-token"),
        )
        if session_role is not None:
            return Role(session_role)
        raise HTTPException(
            401,
            "Authorization: a bearer token is required (Authorization: Bearer <token>)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    role = await role_of(driver, authorization[7:].strip())
    if role is None:
        raise HTTPException(
            401, "Authorization: unknown or revoked token", headers={"WWW-Authenticate": "Bearer"}
        )
    return role


async def require_ops(role: Annotated[Role, Depends(caller_role)]) -> Role:
    if role is not Role.OPS:
        raise HTTPException(403, "Authorization: this needs an ops token")
    return role


async def require_registrar(role: Annotated[Role, Depends(caller_role)]) -> Role:
    """Technicians and ops may register offices and devices."""
    return role


OpsDep = Annotated[Role, Depends(require_ops)]
RegistrarDep = Annotated[Role, Depends(require_registrar)]


async def caller_principal(
    request: Request, driver: DriverDep, authorization: Annotated[str | None, Header()] = None
) -> Principal | None:
    """The caller with role and scope (bearer token or session cookie), None when anonymous.

    The scope rules live in ``collector.accounts.principal``.
    """
    return await resolve_principal(driver, authorization, request.cookies.get(SESSION_COOKIE))


PrincipalDep = Annotated[Principal | None, Depends(caller_principal)]


class Page:
    """``limit``/``offset`` pagination; responses carry ``next_offset`` (null on the last page)."""

    def __init__(
        self,
        limit: Annotated[int, Query(ge=1, le=1000, description="items per page")] = 100,
        offset: Annotated[int, Query(ge=0, description="items to skip")] = 0,
    ) -> None:
        self.limit = limit
        self.offset = offset

    def next_offset(self, returned: int) -> int | None:
        return self.offset + returned if returned == self.limit else None


PageDep = Annotated[Page, Depends(Page)]
