"""FastAPI dependencies: the running collector, its database, the caller, pagination.

The caller is a :class:`Principal`: anonymous, or authenticated by a bearer token (people's
accounts with session cookies plug in beside tokens in :func:`get_principal`). Routes ask for
what they need with ``Depends(require(...roles))`` or read the principal to choose a projection
(public vs fleet view). A presented but unknown, expired or revoked credential is refused (401)
on every route, public ones included, so automation notices a dead token at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from collector.audit import Actor
from collector.config import Settings
from collector.runtime import Collector
from collector.storage import Driver
from collector.tokens import Role, Scope, lookup, touch

FLEET_ROLES = frozenset({Role.VIEWER, Role.TECHNICIAN, Role.OPS})
REGISTRAR_ROLES = frozenset({Role.TECHNICIAN, Role.OPS})
OPS_ROLES = frozenset({Role.OPS})


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


@dataclass(frozen=True, slots=True)
class Principal:
    """Who calls: ``kind`` is ``anonymous`` or ``token`` (accounts add their own kind)."""

    kind: str
    id: str | None = None
    name: str = "anonymous"
    role: Role | None = None
    scope: Scope = field(default_factory=Scope)

    @property
    def authenticated(self) -> bool:
        return self.role is not None

    def has(self, roles: frozenset[Role]) -> bool:
        return self.role in roles

    @property
    def reads_fleet(self) -> bool:
        """Fleet views: fingerprints, versions, hardware, seqs, alerts, metrics."""
        return self.has(FLEET_ROLES)

    @property
    def reads_exact_ratings(self) -> bool:
        """Rating summaries over any window, small counts shown (ops only)."""
        return self.has(OPS_ROLES)

    def may_write(self, office_id: str, province: str | None) -> bool:
        """Registry writes touching ``office_id`` (in ``province``)."""
        return self.has(REGISTRAR_ROLES) and self.scope.allows(office_id, province)

    @property
    def actor(self) -> Actor:
        return Actor(self.id or "anonymous", self.name, self.role.value if self.role else "")


ANONYMOUS = Principal("anonymous")
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
        return ANONYMOUS
    info = await lookup(collector.driver, credentials.credentials.strip())
    if info is None:
        raise _refuse("unknown token")
    state = info.state(int(time.time() * 1000))
    if state != "active":
        raise _refuse(f"token {info.token_id} is {state}")
    await touch(collector.driver, info, collector.settings.token_touch_every_s)
    principal = Principal("token", info.token_id, info.name, info.role, info.scope)
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(roles: frozenset[Role], what: str) -> Any:
    """A dependency that lets only ``roles`` through: 401 without a credential, else 403."""

    async def check(principal: PrincipalDep) -> Principal:
        if not principal.authenticated:
            raise _refuse(f"{what} needs a token (Authorization: Bearer <token>)")
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
