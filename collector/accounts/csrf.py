"""CSRF protection for every form and every cookie-authenticated write.

Logged in: the synchronizer token stored with the session (``sessions.csrf``) goes into each
form as ``csrf_token`` (or the ``X-CSRF-Token`` header of a script's request).
Not logged in (login, registration, forgotten password): double submit, a random ``cf_csrf``
cookie (HttpOnly, SameSite=Strict) that the form must repeat. Either way the value a forger's
page cannot read must come back with the request.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response

CSRF_COOKIE = "cf_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def anonymous_token(request: Request) -> str:
    """The double-submit token of this browser (new when it has none yet)."""
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)


def set_anonymous_cookie(response: Response, token: str, secure: bool) -> None:
    response.set_cookie(
        CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/"
    )


def token_matches(expected: str | None, presented: str | None) -> bool:
    if not expected or not presented:
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())
