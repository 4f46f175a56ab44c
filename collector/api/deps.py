"""FastAPI dependencies: the running collector, its database, the caller, pagination.

The caller is one :class:`Principal` (collector.accounts.principal), resolved in
:func:`get_principal`: anonymous, a bearer token (viewer/technician/ops, optional write scope) or a
logged-in person by session cookie (ops/agency_admin/manager/technician, agency/office scope; a
cookie-authenticated write must carry the session's CSRF token). Routes ask for
what they need with ``Depends(require(...roles))`` or read the principal to choose a projection
(public vs fleet view). A presented but unknown, expired or revoked credential is refused (401)
on every route, public ones included, so automation notices a dead token at once.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from collector.accounts.csrf import CSRF_HEADER, token_matches
from collector.accounts.principal import (
    ANONYMOUS,
    FLEET_ROLES,
    OPS_ROLES,
    REGISTRAR_ROLES,
    PersonRole,
    Principal,
)
from collector.accounts.resolve import session_principal
from collector.accounts.sessions import SESSION_COOKIE
from collector.config import Settings
from collector.runtime import Collector
from collector.storage import Driver
from collector.tokens import Role, lookup, touch


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


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_bearer = HTTPBearer(
    auto_error=False,
    description="an API token (`python -m collector token create`); roles viewer, technician, ops",
)


def _refuse(detail: str) -> HTTPException:
    return HTTPException(401, f"Authorization: {detail}", headers={"WWW-Authenticate": "Bearer"})


async def get_principal(
    request: Request,
    collector: CollectorDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        if request.headers.get("authorization"):
            raise _refuse("only bearer tokens are accepted (Authorization: Bearer <token>)")
        return await _session_caller(request, collector)
    info = await lookup(collector.driver, credentials.credentials.strip())
    if info is None:
        raise _refuse("unknown token")
    state = info.state(int(time.time() * 1000))
    if state != "active":
        raise _refuse(f"token {info.token_id} is {state}")
    if not collector.settings.reader:  # a reader's database may be read-only
        await touch(collector.driver, info, collector.settings.token_touch_every_s)
    principal = Principal("token", info.role, info.token_id, info.name, info.scope)
    request.state.principal = principal
    return principal


async def _session_caller(request: Request, collector: Collector) -> Principal:
    """A logged-in person (session cookie), else anonymous; cookie writes need the CSRF token.

    A presented bearer token never falls back to the cookie: automation with a wrong token fails
    loudly instead of acting as whoever is logged in in that browser.
    """
    principal = await session_principal(collector.driver, request.cookies.get(SESSION_COOKIE))
    if principal is None:
        return ANONYMOUS
    if request.method not in SAFE_METHODS and not token_matches(
        principal.csrf, request.headers.get(CSRF_HEADER)
    ):
        raise HTTPException(403, "X-CSRF-Token: missing or wrong CSRF token")
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(roles: frozenset[Role] | frozenset[PersonRole], what: str) -> Any:
    """A dependency that lets only ``roles`` through: 401 without a credential, else 403.

    Token roles and person roles share their values (``ops``, ``technician``), so one set
    serves both kinds of caller."""

    async def check(principal: PrincipalDep) -> Principal:
        if not principal.authenticated:
            raise _refuse(f"{what} needs a token (Authorization: Bearer <token>) or a login")
        if not principal.has(roles):
            raise HTTPException(403, f"Authorization: {what} is not for role {principal.role}")
        return principal

    return Depends(check)


FleetDep = Annotated[Principal, require(FLEET_ROLES, "the fleet view")]
RegistrarDep = Annotated[Principal, require(REGISTRAR_ROLES, "registry writes")]
OpsDep = Annotated[Principal, require(OPS_ROLES, "this operation (ops)")]


class Page:
    """``limit``/``offset`` pagination; responses carry ``next_offset`` (null on the last page)."""

    def __init__(
        self,
        limit: Annotated[int, Query(ge=1, le=1000, description="items per page")] = 100,
        offset: Annotated[int, Query(ge=0, le=2**53, description="items to skip")] = 0,
    ) -> None:
        self.limit = limit
        self.offset = offset

    def next_offset(self, returned: int) -> int | None:
        return self.offset + returned if returned == self.limit else None


PageDep = Annotated[Page, Depends(Page)]
