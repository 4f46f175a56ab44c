"""Issue 13 item 8, the remaining case: a command to a registered device that has never
connected. The broker has no session for it yet, so the first publish reaches nobody; the
collector resends it (same id) when it first hears from the device, and only then. Real parts:
Mosquitto, the collector app with its HTTP API and ingest, and an agent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent.config import AgentConfig
from collector.api.app import create_app
from collector.ingest.subscriber import wait_ready
from collector.runtime import Collector
from collector.tokens import Role, create_token
from tests.agent.agent_rig import DEVICE, InProcessAgent, config_data
from tests.collector.conftest import make_settings
from tests.collector.devices import eventually
from tests.fixtures.broker import MosquittoBroker

OFFICE = {
    "office_id": "tst-first-office",
    "name_th": "สำนักงานทดสอบ",
    "name_en": "Test office",
    "agency": "DOPA",
    "province": "Chiang Mai",
    "address": "Chiang Mai",
    "lat": 18.78778,
    "lon": 98.98528,
}


@dataclass
class Api:
    client: httpx.AsyncClient
    collector: Collector


@pytest.fixture
async def api(mosquitto: MosquittoBroker, tmp_path: Path) -> AsyncIterator[Api]:
    app = create_app(make_settings(str(tmp_path / "collector.db"), mosquitto))
    async with app.router.lifespan_context(app):
        collector: Collector = app.state.collector
        assert collector.subscriber is not None
        assert await wait_ready(collector.subscriber, 10)
        ops = await create_token(collector.driver, Role.OPS, "test ops")
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://collector",
            headers={"Authorization": f"Bearer {ops}"},
        ) as client:
            yield Api(client, collector)


async def results_of(api: Api, command_id: str) -> list[dict[str, Any]]:
    rows = await api.collector.driver.fetch(
        "SELECT ok, detail FROM command_results WHERE command_id = ?", command_id
    )
    return [dict(r) for r in rows]


@pytest.mark.slow
async def test_a_command_to_a_device_that_never_connected_runs_when_it_first_does(
    api: Api, mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    assert (await api.client.post("/api/v1/offices", json=OFFICE)).status_code == 201
    device = {"device_id": DEVICE, "office_id": OFFICE["office_id"], "counter_label": "C01"}
    assert (await api.client.post("/api/v1/devices", json=device)).status_code == 201

    url = f"/api/v1/devices/{DEVICE}/commands"
    ping = await api.client.post(url, json={"type": "ping"})
    stale = await api.client.post(url, json={"type": "ping", "expires_in_s": 1})
    assert (ping.status_code, stale.status_code) == (202, 202), (ping.text, stale.text)
    ping_id, stale_id = ping.json()["id"], stale.json()["id"]
    await asyncio.sleep(1.5)  # the second command expires before the device ever connects

    config = AgentConfig(**config_data(tmp_path, mosquitto.url))
    with InProcessAgent(config) as rig:
        await asyncio.to_thread(rig.wait_connected)
        assert await eventually(lambda: results_of(api, ping_id), 20) == [
            {"ok": 1, "detail": "pong"}
        ]
        # A command sent now, with the device's session at the broker, is delivered once.
        later = await api.client.post(url, json={"type": "ping"})
        assert later.status_code == 202, later.text
        later_id = later.json()["id"]
        assert await eventually(lambda: results_of(api, later_id), 20) == [
            {"ok": 1, "detail": "pong"}
        ]
        # More messages from the device do not resend anything: still one result each.
        await asyncio.to_thread(rig.agent.publish_heartbeat)
        await eventually(lambda: _heartbeats_after_the_results(api))
    assert await results_of(api, ping_id) == [{"ok": 1, "detail": "pong"}]
    assert await results_of(api, later_id) == [{"ok": 1, "detail": "pong"}]
    assert await results_of(api, stale_id) == []  # expired before first contact: not resent
    items = {i["id"]: i for i in (await api.client.get(url)).json()["items"]}
    assert items[ping_id]["result"]["detail"] == "pong"
    assert items[stale_id]["result"] is None


async def _heartbeats_after_the_results(api: Api) -> bool:
    row = await api.collector.driver.fetchrow(
        "SELECT f.heartbeat_received_ms AS hb, max(r.received_ms) AS res "
        "FROM fleet_state f, command_results r WHERE f.device_id = ? AND r.device_id = ? "
        "GROUP BY f.heartbeat_received_ms",
        DEVICE,
        DEVICE,
    )
    return row is not None and row["hb"] is not None and int(row["hb"]) > int(row["res"])
