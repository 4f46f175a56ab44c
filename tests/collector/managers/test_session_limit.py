"""The session rate-limit bucket: each login session has its own, cookie requests per address
are bounded (made-up cookies), and anonymous requests keep the public per-address bucket."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.collector.accounts.rig import BASE, Rig, running_rig
from tests.fixtures.smtp import SmtpSink

A = "cm-mueang-chiang-mai-dopa"
LIMITS = {
    "rate_limit_public": "100/minute",
    "rate_limit_session": "6/minute",
    "rate_limit_session_address": "20/minute",
}


@pytest.fixture
async def rig(sqlite_url: str, smtp_server: SmtpSink) -> AsyncIterator[Rig]:
    async with running_rig(sqlite_url, smtp_server, collector_settings=LIMITS) as r:
        yield r


async def _codes(client: httpx.AsyncClient, n: int) -> list[int]:
    return [(await client.get("/api/v1/me")).status_code for _ in range(n)]


async def test_each_session_has_its_bucket(rig: Rig) -> None:
    async with (
        rig.person("one@example.go.th", "agency_admin", A) as one,
        rig.person("two@example.go.th", "agency_admin", A) as two,
    ):
        # Both behind the same address (one office's NAT): each gets its own 6 a minute.
        assert await _codes(one, 7) == [200] * 6 + [429]
        assert await _codes(two, 6) == [200] * 6
        refused = await one.get("/api/v1/me")
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
    # Made-up cookies from another address: answered as anonymous (401 here) until the
    # address's cookie bucket (20 a minute) is spent, then 429 whatever the cookie.
    transport = httpx.ASGITransport(app=rig.app, client=("192.0.2.50", 4000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as forger:
        codes = [
            (
                await forger.get(
                    "/api/v1/me", headers={"Cookie": f"cf_session={secrets.token_urlsafe(16)}"}
                )
            ).status_code
            for _ in range(21)
        ]
        assert codes == [401] * 20 + [429]
        # Without a cookie that address still has its public bucket.
        assert (await forger.get("/api/v1/agencies")).status_code == 200
