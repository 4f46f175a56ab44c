"""HTTP hygiene: security headers on every page, static file, API answer and error; pages
without inline scripts; per-client rate limits answering 429 with Retry-After; public rating
summaries over closed whole hours with small counts hidden."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest

from collector.api.app import create_app
from collector.rating_privacy import HOUR_MS, public_window, suppress
from collector.runtime import Collector
from collector.tokens import Role, create_token
from protocols import Channel, Rating, RatingBody, encode, new_message_id, now
from tests.collector.conftest import make_settings
from tests.collector.devices import MqttPeer, eventually
from tests.fixtures.broker import MosquittoBroker

OFFICE = {"office_id": "cm-fang-dol", "name_th": "ฝาง", "name_en": "Fang"}
DEV = "cm-fang-c01"


@pytest.fixture
async def client(sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(sqlite_url), ingest=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://collector") as c:
            yield c


def assert_secure(response: httpx.Response) -> None:
    h = response.headers
    where = f"{response.request.method} {response.request.url.path} ({response.status_code})"
    assert h.get("x-content-type-options") == "nosniff", where
    assert h.get("referrer-policy") == "no-referrer", where
    csp = h.get("content-security-policy", "")
    assert "script-src 'self';" in csp, where
    assert "frame-ancestors 'none'" in csp, where
    assert "unsafe-inline" not in csp, where


PAGES = ["/", "/map", "/fleet", "/offices/cm-fang-dol", "/offices/NOT_AN_ID", "/map?lang=en"]
OTHER = [
    "/static/js/common.js", "/static/css/site.css", "/static/nope.js", "/healthz", "/readyz",
    "/openapi.json", "/metrics", "/api/v1/offices", "/api/v1/devices", "/api/v1/alerts",
    "/api/v1/ratings/summary?from=yesterday", "/api/v1/nothing-here",
]  # fmt: skip


async def test_every_page_and_answer_carries_the_security_headers(
    client: httpx.AsyncClient,
) -> None:
    for path in PAGES + OTHER:
        assert_secure(await client.get(path))
    assert_secure(await client.post("/api/v1/offices", json={}))  # 401
    bad = {"Authorization": "Bearer cf_nope"}
    assert_secure(await client.get("/api/v1/offices", headers=bad))  # 401
    api = await client.get("/api/v1/offices")
    assert api.headers["cache-control"] == "no-store"


async def test_pages_have_no_inline_script(client: httpx.AsyncClient) -> None:
    for path in PAGES:
        html = (await client.get(path)).text
        scripts = re.findall(r"<script\b([^>]*)>", html)
        assert scripts, path
        assert all('src="' in attrs for attrs in scripts), (path, scripts)
        assert re.search(r"<[^>]+\son[a-z]+=", html) is None, path  # no inline handlers


async def test_rate_limit_answers_429_with_retry_after(sqlite_url: str) -> None:
    settings = make_settings(
        sqlite_url, rate_limit_public="5/minute", rate_limit_auth_failures="3/minute"
    )
    app = create_app(settings, ingest=False)
    async with app.router.lifespan_context(app):
        collector: Collector = app.state.collector
        token = await create_token(collector.driver, Role.VIEWER, "v")
        transport = httpx.ASGITransport(app=app, client=("192.0.2.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://collector") as c:
            codes = [(await c.get("/api/v1/offices")).status_code for _ in range(6)]
            assert codes == [200] * 5 + [429]
            limited = await c.get("/map")
            assert limited.status_code == 429
            assert 1 <= int(limited.headers["retry-after"]) <= 60
            assert "rate limit" in limited.json()["error"]
            assert_secure(limited)
            assert (await c.get("/healthz")).status_code == 200  # probes are not limited
            auth = {"Authorization": f"Bearer {token}"}
            assert (await c.get("/api/v1/alerts", headers=auth)).status_code == 200
            for _ in range(3):
                bad = await c.get("/api/v1/offices", headers={"Authorization": "Bearer cf_x"})
                assert bad.status_code == 401
            guessed = await c.get("/api/v1/alerts", headers=auth)
            assert guessed.status_code == 429  # too many refused tokens from this address
        other = httpx.ASGITransport(app=app, client=("192.0.2.8", 40000))
        async with httpx.AsyncClient(transport=other, base_url="http://collector") as c:
            assert (await c.get("/api/v1/offices")).status_code == 200  # per client


def test_public_window_is_closed_whole_hours() -> None:
    now_ms = 1_700_000_000_000 + 25 * 60_000  # 25 min into an hour
    hour = now_ms - now_ms % HOUR_MS
    assert public_window(None, None, now_ms) == (None, hour)
    assert public_window(hour - 3 * HOUR_MS + 60_000, now_ms, now_ms) == (hour - 3 * HOUR_MS, hour)
    # A minute-wide window inside a closed hour widens to nothing finer than the hour.
    start, end = public_window(hour - HOUR_MS + 60_000, hour - HOUR_MS + 120_000, now_ms)
    assert (start, end) == (hour - HOUR_MS, hour - HOUR_MS)


def test_suppression_hides_small_counts_and_what_the_total_would_reveal() -> None:
    exact = {
        "total": 12,
        "counts": {"5": 7, "4": 5},
        "verified_share": 0.5,
        "scales": [5],
        "by_scale": {"5": {"counts": {"5": 7, "4": 5}, "total": 12, "mean": 4.58}},
    }
    public = suppress(exact, 5)
    assert public["counts"] == {"1": None, "2": None, "3": None, "4": 5, "5": 7}
    assert public["verified_share"] == 0.5
    # 3-point scale, one small count: the smallest other count is hidden too, or the total
    # minus the shown counts would give the hidden one away.
    three = {"1": 6, "2": 2, "3": 7}
    one_small = suppress(
        {**exact, "total": 15, "counts": three, "scales": [3],
         "by_scale": {"3": {"counts": three, "total": 15, "mean": 2.07}}},
        5,
    )  # fmt: skip
    assert one_small["counts"] == {"1": None, "2": None, "3": 7}
    assert one_small["by_scale"]["3"]["counts"] == {"1": None, "2": None, "3": 7}
    few = suppress({**exact, "total": 4}, 5)
    assert (few["total"], few["counts"], few["mean"], few["suppressed"]) == (None, {}, None, True)


async def test_public_summary_is_rounded_and_suppressed_ops_sees_exact(
    mosquitto: MosquittoBroker, sqlite_url: str
) -> None:
    app = create_app(make_settings(sqlite_url, mosquitto))
    async with app.router.lifespan_context(app):
        collector: Collector = app.state.collector
        ops = {"Authorization": f"Bearer {await create_token(collector.driver, Role.OPS, 'o')}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://collector") as c:
            await c.post("/api/v1/offices", json=OFFICE, headers=ops)
            device = {"device_id": DEV, "office_id": OFFICE["office_id"]}
            await c.post("/api/v1/devices", json=device, headers=ops)
            peer = MqttPeer(mosquitto.url)
            peer.watch_acks()
            try:
                current = now()
                hour = current.replace(minute=0, second=0, microsecond=0)
                two_hours_ago = hour - timedelta(hours=2) + timedelta(minutes=10)
                scores = [5, 5, 5, 5, 5, 4, 4, 1]  # 8 ratings two hours ago, 1 just now
                for seq, score in enumerate(scores, 1):
                    peer.publish(DEV, Channel.EVENTS, _rating(seq, score, two_hours_ago))
                peer.publish(DEV, Channel.EVENTS, _rating(9, 3, current))
                await eventually(lambda: peer.last_ack(DEV) == 9)
            finally:
                peer.close()
            params = {"office_id": OFFICE["office_id"]}
            exact = (await c.get("/api/v1/ratings/summary", params=params, headers=ops)).json()
            assert (exact["total"], exact["exact"], exact["counts"]["3"]) == (9, True, 1)
            public = (await c.get("/api/v1/ratings/summary", params=params)).json()
            assert public["exact"] is False
            assert public["total"] == 8  # the running hour's rating is not in it
            assert public["counts"]["5"] == 5
            assert public["counts"]["1"] is None  # 1 < k
            assert public["counts"]["4"] is None  # 2 < k
            assert public["privacy"]["k"] == 5
            assert public["privacy"]["to"].endswith(":00:00Z")
            minute = {**params, "from": _iso(two_hours_ago), "to": _iso(two_hours_ago, 60)}
            narrow = (await c.get("/api/v1/ratings/summary", params=minute)).json()
            assert narrow["total"] is None  # an empty (rounded) window says nothing
            assert narrow["suppressed"] is True


def _rating(seq: int, score: int, ts: datetime) -> bytes:
    body = RatingBody(session=None, score=score, scale=5, verified=True)
    return encode(Rating(v=1, id=new_message_id(), device=DEV, ts=ts, seq=seq, body=body))


def _iso(ts: datetime, plus_s: int = 0) -> str:
    return (ts + timedelta(seconds=plus_s)).isoformat()
