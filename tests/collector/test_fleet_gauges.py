"""The fleet gauges /metrics exports for the alerting rules (firmware-config/prometheus/)."""

from __future__ import annotations

import time

from prometheus_client.parser import text_string_to_metric_families

from protocols import Channel
from tests.collector import test_api
from tests.collector.devices import MqttPeer, eventually, heartbeat, rating, state
from tests.collector.test_api import DEV, Api, register

# the API fixtures of test_api (real app, SQLite and PostgreSQL, a private Mosquitto)
api = test_api.api
peer = test_api.peer
SECOND = "cm-mueang-c02"


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_export_devices_by_state_and_outbox_totals(api: Api, peer: MqttPeer) -> None:
    await register(api)
    device = {"device_id": SECOND, "office_id": "cm-mueang-chiang-mai-dol", "counter_label": "C02"}
    r = await api.client.post("/api/v1/devices", json=device, headers=api.tech)
    assert r.status_code == 201, r.text
    before = time.time()
    peer.publish(DEV, Channel.STATE, state(DEV, "online"))
    peer.publish(DEV, Channel.HEARTBEAT, heartbeat(DEV, outbox_depth=7, outbox_oldest_s=42.5))
    for seq, (score, scale, verified) in enumerate([(5, 5, True), (4, 5, False), (3, 3, True)], 1):
        peer.publish(DEV, Channel.EVENTS, rating(DEV, seq, score, scale, verified))
    # an unregistered publisher is heard from but is no registered device
    peer.publish("cm-stranger-c09", Channel.HEARTBEAT, heartbeat("cm-stranger-c09", outbox_depth=3))

    async def scraped() -> dict | None:
        text = (await api.client.get("/metrics", headers=api.viewer)).text
        samples = _samples(text)
        done = samples[("cf_fleet_outbox_depth", ())] == 10
        rated = sum(v for k, v in samples.items() if k[0] == "cf_ratings_24h") == 3
        return samples if done and rated else None

    samples = await eventually(scraped)
    assert samples[("cf_devices", (("state", "online"),))] == 1
    assert samples[("cf_devices", (("state", "never_seen"),))] == 1
    assert samples[("cf_devices", (("state", "offline"),))] == 0
    assert samples[("cf_fleet_outbox_oldest_seconds", ())] == 42.5
    assert samples[("cf_fleet_last_heard_timestamp_seconds", ())] >= int(before)
    ratings = {k[1]: v for k, v in samples.items() if k[0] == "cf_ratings_24h"}
    assert ratings == {
        (("scale", "5"), ("score", "5"), ("verified", "true")): 1,
        (("scale", "5"), ("score", "4"), ("verified", "false")): 1,
        (("scale", "3"), ("score", "3"), ("verified", "true")): 1,
    }
    # 5/5 -> 5, 4/5 -> 4, 3/3 -> 5 on 1..5
    assert samples[("cf_rating_mean_24h", ())] == 14 / 3
