"""Resolve a request's credentials to a :class:`Principal`: bearer token first, then session."""

from __future__ import annotations

from collector.accounts.principal import Principal, principal_of_person, principal_of_token
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
