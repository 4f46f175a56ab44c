"""A session cookie to the :class:`Principal` of a logged-in person (pages, API resolver)."""

from __future__ import annotations

from collector.accounts.principal import Principal, principal_of_person
from collector.accounts.sessions import session_of
from collector.storage import Driver


async def session_principal(driver: Driver, session_cookie: str | None) -> Principal | None:
    """The person behind a live session, or None (no cookie, expired/closed session, inactive)."""
    if not session_cookie:
        return None
    found = await session_of(driver, session_cookie)
    if found is None:
        return None
    return await principal_of_person(driver, found[0], csrf=found[1])
