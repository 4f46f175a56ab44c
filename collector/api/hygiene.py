"""HTTP hygiene on every response: security headers, and per-client rate limits (429).

Pure ASGI middleware, so error answers, static files and the pages get the same treatment as
the API. The CSP allows scripts, styles and fetches from this origin only (the pages have no
inline script: their settings travel in a ``data-config`` attribute) and images from this origin,
``data:`` and the configured map tile origin (``app.state.csp_img_origins``).

Rate limits use the ``limits`` library (moving window, in process memory: each collector
process counts on its own, which is what a single-node proxy set-up needs). A request without a
token counts against its client address (``CF_RATE_LIMIT_PUBLIC``); with a token against that
token (``CF_RATE_LIMIT_TOKEN``), and every refused token (401) against the address
(``CF_RATE_LIMIT_AUTH_FAILURES``), so guessing tokens is slow too. A request with a login
session cookie counts against that session (``CF_RATE_LIMIT_SESSION``: several managers behind
one office address do not share the public bucket) and against a wider bucket of cookie
requests per address (``CF_RATE_LIMIT_SESSION_ADDRESS``: made-up cookies cannot buy unlimited
buckets; login and password forms are slowed further by accounts/throttle.py). Health probes are not
limited. Behind the TLS proxy the client address is the one the proxy forwards (uvicorn
trusts ``X-Forwarded-For`` from 127.0.0.1 only).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from http.cookies import CookieError, SimpleCookie
from typing import Any

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from collector.accounts.sessions import SESSION_COOKIE
from collector.config import Settings

_LOGGER = logging.getLogger(__name__)
UNLIMITED_PATHS = ("/healthz", "/readyz")

BASE_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def content_security_policy(img_origins: list[str]) -> str:
    images = " ".join(["'self'", "data:", *img_origins])
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        f"img-src {images}; connect-src 'self'; font-src 'self'; manifest-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origins: list[str] = list(getattr(scope["app"].state, "csp_img_origins", []))
        csp = content_security_policy(origins)
        api = scope["path"].startswith("/api/") or scope["path"] == "/metrics"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in BASE_HEADERS.items():
                    headers[name] = value
                headers["content-security-policy"] = csp
                if api and "cache-control" not in headers:
                    headers["cache-control"] = "no-store"  # unless a public route chose caching
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RateLimits:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._public = parse_many(settings.rate_limit_public)
        self._token = parse_many(settings.rate_limit_token)
        self._failures = parse_many(settings.rate_limit_auth_failures)
        self._session = parse_many(settings.rate_limit_session)
        self._session_address = parse_many(settings.rate_limit_session_address)

    def _refused(self, items: list[RateLimitItem], key: str) -> float | None:
        """Seconds to wait when any of ``items`` is exhausted for ``key`` (then nothing counts),
        else None after counting this request."""
        wait = self._blocked(items, key)
        if wait is None:
            for item in items:
                self._limiter.hit(item, key)
        return wait

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = client[0] if client else "unknown"
        auth = Headers(scope=scope).get("authorization")
        if auth:
            digest = hashlib.sha256(auth.encode("utf-8", "replace")).hexdigest()[:24]
            wait = self._blocked(self._failures, f"fail:{address}")
            if wait is None:
                wait = self._refused(self._token, f"token:{digest}")
        elif cookie := _session_cookie(scope):
            # People on the pages: their own bucket per session (several managers behind one
            # office address do not share the public one), and a wider one per address, so
            # made-up cookies cannot buy unlimited buckets.
            digest = hashlib.sha256(cookie.encode("utf-8", "replace")).hexdigest()[:24]
            wait = self._blocked(self._session_address, f"cookies:{address}")
            if wait is None:
                wait = self._refused(self._session, f"session:{digest}")
            if wait is None:
                for item in self._session_address:
                    self._limiter.hit(item, f"cookies:{address}")
        else:
            wait = self._refused(self._public, f"ip:{address}")
        if wait is not None:
            await self._too_many(scope, receive, send, wait)
            return

        async def count_failures(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                for item in self._failures:
                    self._limiter.hit(item, f"fail:{address}")
            await send(message)

        await self.app(scope, receive, count_failures if auth else send)

    def _blocked(self, items: list[RateLimitItem], key: str) -> float | None:
        for item in items:
            if not self._limiter.test(item, key):
                reset, _remaining = self._limiter.get_window_stats(item, key)
                return max(1.0, reset - time.time())
        return None

    @staticmethod
    async def _too_many(scope: Scope, receive: Receive, send: Send, wait: float) -> None:
        seconds = math.ceil(wait)
        _LOGGER.debug("rate limit: %s %s refused for %s s", scope["method"], scope["path"], seconds)
        response = JSONResponse(
            {"error": f"rate limit: too many requests; retry after {seconds} s", "field": None},
            status_code=429,
            headers={"Retry-After": str(seconds)},
        )
        await response(scope, receive, send)


def _session_cookie(scope: Scope) -> str | None:
    cookies = Headers(scope=scope).get("cookie")
    if not cookies or SESSION_COOKIE not in cookies:
        return None
    jar = SimpleCookie()
    try:
        jar.load(cookies)
    except CookieError:
        return None
    morsel = jar.get(SESSION_COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


def install(app: Any, settings: Settings) -> None:
    """Rate limits inside, security headers outside (so 429 answers carry the headers too)."""
    app.add_middleware(RateLimits, settings=settings)
    app.add_middleware(SecurityHeaders)
