"""Resolve a request's credentials to a :class:`Principal`: bearer token first, then session."""

from __future__ import annotations

from fastapi import HTTPException

from collector.accounts.csrf import token_matches
from collector.accounts.principal import (
    PersonRole,
    Principal,
    principal_of_person,
    principal_of_token,
)
from collector.accounts.sessions import session_of
from collector.storage import Driver
from collector.tokens import role_of


async def resolve_principal(
    driver: Driver, authorization: str | None, session_cookie: str | None
) -> Principal | None:
    """The caller, or None (anonymous, unknown/revoked token, expired/closed session).

    A presented but invalid bearer token does not fall back to the cookie: automation that
    sends a wrong token should fail loudly, not act as whoever is logged in in that browser.
    """
    if authorization and authorization.lower().startswith("bearer "):
        role = await role_of(driver, authorization[7:].strip())
        return principal_of_token(role.value) if role is not None else None
    if session_cookie:
        found = await session_of(driver, session_cookie)
        if found is not None:
            return await principal_of_person(driver, found[0], csrf=found[1])
    return None


async def session_registry_role(
    driver: Driver, session_cookie: str | None, method: str, csrf_header: str | None
) -> str | None:
    """For the bearer-token routes: the role (ops/technician) of a logged-in person, or None.

    Lets ops and technicians use the registry from the web pages with their login. A cookie
    write must carry the session's CSRF token; people of other roles are refused (403).
    """
    if not session_cookie:
        return None
    principal = await resolve_principal(driver, None, session_cookie)
    if principal is None:
        return None
    if principal.role not in (PersonRole.OPS, PersonRole.TECHNICIAN):
        raise HTTPException(403, "Authorization: this needs ops or technician")
    if method not in ("GET", "HEAD", "OPTIONS") and not token_matches(principal.csrf, csrf_header):
        raise HTTPException(403, "X-CSRF-Token: missing or wrong CSRF token")
    return principal.role.value
