"""The ``clock_skew`` fleet alert (issue 13 item 1): raised from what ingest stored for a device
whose clock runs ahead (clamped events and fixes) or behind (late heartbeats), and cleared when
the evidence is gone. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from collector.api.app import create_app
from collector.config import Settings
from collector.fleet import ALERT_KINDS, Alert, compute_alerts
from collector.ingest.decoder import build_batch
from collector.ingest.subscriber import wait_ready
from collector.records import RawMessage
from collector.registry import DeviceIn, OfficeIn
from collector.registry_writes import upsert_device, upsert_office
from collector.runtime import Collector
from collector.storage import Driver, open_driver
from collector.storage.ingest_store import write_batch
from collector.tokens import Role, create_token
from protocols import Channel
from tests.collector.abuse import DAY, at, fix_at, heartbeat_at, rating_at, received
from tests.collector.conftest import make_settings
from tests.collector.devices import MqttPeer, eventually
from tests.fixtures.broker import MosquittoBroker

OFFICE = "cm-skew-dol"
AHEAD, BEHIND, HONEST = "cm-skew-c01", "cm-skew-c02", "cm-skew-c03"
HOUR_MS = 3_600_000


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(db_url)


@pytest.fixture
async def driver(settings: Settings) -> AsyncIterator[Driver]:
    d = await open_driver(settings)
    await upsert_office(d, OfficeIn(office_id=OFFICE, name_th="สำนักงานทดสอบ", name_en="Skew"))
    for device in (AHEAD, BEHIND, HONEST):
        await upsert_device(d, DeviceIn(device_id=device, office_id=OFFICE))
    yield d
    await d.close()


async def store(driver: Driver, *messages: RawMessage) -> None:
    await write_batch(driver, build_batch(messages))


async def skew_alerts(driver: Driver, settings: Settings) -> dict[str, Alert]:
    alerts = await compute_alerts(driver, settings)
    return {a.device_id or "": a for a in alerts if a.kind == "clock_skew"}


def on_time_heartbeat(device: str) -> RawMessage:
    return received(device, Channel.HEARTBEAT, heartbeat_at(device, at(timedelta(0))))


async def test_a_clock_ahead_raises_the_alert_and_it_clears_after_the_window(
    driver: Driver, settings: Settings
) -> None:
    assert "clock_skew" in ALERT_KINDS
    tomorrow = at(DAY)
    await store(
        driver,
        on_time_heartbeat(HONEST),
        received(HONEST, Channel.EVENTS, rating_at(HONEST, 1, at(timedelta(minutes=2)))),
        on_time_heartbeat(AHEAD),
        received(AHEAD, Channel.EVENTS, rating_at(AHEAD, 1, tomorrow)),
        received(AHEAD, Channel.LOCATION, fix_at(AHEAD, tomorrow, 18.79, 98.98)),
    )
    alerts = await skew_alerts(driver, settings)
    assert set(alerts) == {AHEAD}  # two minutes ahead is within CF_TS_FUTURE_SKEW_S
    alert = alerts[AHEAD]
    assert alert.office_id == OFFICE
    assert alert.since is not None
    assert re.fullmatch(
        r"clock ahead: 2 message\(s\) dated up to 86(399|400) s after they arrived "
        r"\(stored at receive time\)",
        alert.detail,
    ), alert.detail

    # The same evidence received before the window (1 h by default) no longer counts.
    async with driver.transaction() as tx:
        for table in ("events", "locations"):
            await tx.execute(
                f"UPDATE {table} SET received_ms = received_ms - ?, ts_ms = ts_ms - ?, "  # noqa: S608
                "device_ts_ms = device_ts_ms - ? WHERE device_id = ?",
                2 * HOUR_MS,
                2 * HOUR_MS,
                2 * HOUR_MS,
                AHEAD,
            )
    assert await skew_alerts(driver, settings) == {}


async def test_a_clock_behind_raises_the_alert_until_a_heartbeat_is_on_time(
    driver: Driver, settings: Settings
) -> None:
    late = received(BEHIND, Channel.HEARTBEAT, heartbeat_at(BEHIND, at(-timedelta(hours=1))))
    await store(driver, late, on_time_heartbeat(HONEST))
    alerts = await skew_alerts(driver, settings)
    assert set(alerts) == {BEHIND}
    assert re.fullmatch(
        r"clock behind: latest heartbeat dated 3(599|600) s before it arrived",
        alerts[BEHIND].detail,
    ), alerts[BEHIND].detail

    # A heartbeat four minutes late is within CF_ALERT_CLOCK_SKEW_S (300 s): the alert clears.
    ok = received(
        BEHIND, Channel.HEARTBEAT, heartbeat_at(BEHIND, at(-timedelta(minutes=4))), after_ms=5
    )
    await store(driver, ok)
    assert await skew_alerts(driver, settings) == {}


async def test_a_device_publishing_a_future_rating_shows_in_the_alerts_api_and_metrics(
    mosquitto: MosquittoBroker, sqlite_url: str
) -> None:
    """The whole path: a rating dated tomorrow over a real broker, then the fleet's API."""
    app = create_app(make_settings(sqlite_url, mosquitto))
    async with app.router.lifespan_context(app):
        collector: Collector = app.state.collector
        assert collector.subscriber is not None
        assert await wait_ready(collector.subscriber, 10)
        viewer = {
            "Authorization": f"Bearer {await create_token(collector.driver, Role.VIEWER, 'v')}"
        }
        peer = MqttPeer(mosquitto.url)
        try:
            peer.watch_acks()
            peer.publish(AHEAD, Channel.EVENTS, rating_at(AHEAD, 1, at(DAY)))
            await eventually(lambda: peer.last_ack(AHEAD) == 1)
        finally:
            peer.close()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://collector") as client:
            r = await client.get("/api/v1/alerts", params={"kind": "clock_skew"}, headers=viewer)
            assert r.status_code == 200, r.text
            [alert] = r.json()["items"]
            assert (alert["device_id"], alert["kind"]) == (AHEAD, "clock_skew")
            assert alert["detail"].startswith("clock ahead: 1 message(s) dated up to 86")
            r = await client.get("/metrics", headers=viewer)
            assert r.status_code == 200, r.text
            assert 'cf_alerts{kind="clock_skew"} 1.0' in r.text
            assert 'cf_ts_clamped_total{channel="events"} 1.0' in r.text
