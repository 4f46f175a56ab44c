"""Defect 8 (issue 13): a command sent while its device is offline runs when it reconnects.

Real parts: Mosquitto (persistence on, the production template), the collector app with its
HTTP API, and an agent. The agent keeps a persistent MQTT session (clean_start false, session
expiry 2 days), so the broker queues the command; the agent refuses the expired one. A command
for a device the collector has never registered nor heard of is refused with 404.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent.config import AgentConfig
from collector.api.app import create_app
from collector.runtime import Collector
from collector.tokens import Role, create_token
from tests.agent.agent_rig import DEVICE, InProcessAgent, config_data
from tests.collector.conftest import make_settings
from tests.collector.devices import eventually
from tests.fixtures.broker import MosquittoBroker

OFFICE = {
    "office_id": "tst-offline-office",
    "name_th": "สำนักงานทดสอบ",
    "name_en": "Test office",
    "agency": "DOPA",
    "province": "Chiang Mai",
    "address": "Chiang Mai",
    "lat": 18.78778,
    "lon": 98.98528,
}


@pytest.fixture
async def api(mosquitto: MosquittoBroker, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(str(tmp_path / "collector.db"), mosquitto))
    async with app.router.lifespan_context(app):
        collector: Collector = app.state.collector
        ops = await create_token(collector.driver, Role.OPS, "test ops")
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://collector",
            headers={"Authorization": f"Bearer {ops}"},
        ) as client:
            yield client


async def run_agent_until_subscribed(config: AgentConfig) -> None:
    """Start the agent, wait until its subscriptions are granted, stop it cleanly."""

    def cycle() -> None:
        with InProcessAgent(config) as rig:
            rig.wait_connected()
            assert rig.agent.publisher.subscribed.wait(10), "no SUBACK"

    await asyncio.to_thread(cycle)


@pytest.mark.slow
async def test_a_command_sent_while_offline_runs_after_reconnect(
    api: httpx.AsyncClient, mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    r = await api.post("/api/v1/offices", json=OFFICE)
    assert r.status_code == 201, r.text
    device = {"device_id": DEVICE, "office_id": OFFICE["office_id"], "counter_label": "C01"}
    assert (await api.post("/api/v1/devices", json=device)).status_code == 201

    unknown = await api.post("/api/v1/devices/xx-nobody-c99/commands", json={"type": "ping"})
    assert unknown.status_code == 404, unknown.text
    assert "device_id" in unknown.text

    config = AgentConfig(**config_data(tmp_path, mosquitto.url))
    await run_agent_until_subscribed(config)  # the device has been online once, now it is off

    url = f"/api/v1/devices/{DEVICE}/commands"
    ping = await api.post(url, json={"type": "ping"})
    stale = await api.post(url, json={"type": "ping", "expires_in_s": 1})
    assert (ping.status_code, stale.status_code) == (202, 202)
    await asyncio.sleep(1.5)  # the second command's expiry passes while the device is offline

    async def answered() -> dict[str, Any] | None:
        items = (await api.get(url)).json()["items"]
        done = {i["id"]: i["result"] for i in items if i["result"]}
        return done if len(done) == 2 else None

    rig = InProcessAgent(config)
    with rig:
        await asyncio.to_thread(rig.wait_connected)
        results = await eventually(answered, 20)
    ok = results[ping.json()["id"]]
    refused = results[stale.json()["id"]]
    assert (ok["ok"], ok["detail"]) == (True, "pong")
    assert (refused["ok"], refused["detail"]) == (False, "expired")
