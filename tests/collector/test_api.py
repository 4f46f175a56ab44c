"""The HTTP API through httpx against the app (lifespan on: real SQLite and Mosquitto)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from collector.api.app import create_app
from collector.ingest.subscriber import wait_ready
from collector.runtime import Collector
from collector.tokens import Role, create_token
from protocols import Channel, CommandResult, CommandResultBody, encode, new_message_id, now
from tests.collector.conftest import make_settings
from tests.collector.devices import (
    MqttPeer,
    eventually,
    heartbeat,
    location,
    rating,
    rejected_event,
    state,
)
from tests.fixtures.broker import MosquittoBroker

OFFICE = {
    "office_id": "cm-mueang-chiang-mai-dol",
    "name_th": "ที่ว่าการอำเภอเมืองเชียงใหม่",
    "name_en": "Mueang Chiang Mai District Office",
    "agency": "DOPA",
    "province": "Chiang Mai",
    "address": "Chiang Mai",
    "lat": 18.78778,
    "lon": 98.98528,
}
DEV = "cm-mueang-c01"


class Api:
    def __init__(
        self, client: httpx.AsyncClient, collector: Collector, ops: str, tech: str, viewer: str
    ):
        self.client = client
        self.collector = collector
        self.ops = {"Authorization": f"Bearer {ops}"}
        self.tech = {"Authorization": f"Bearer {tech}"}
        self.viewer = {"Authorization": f"Bearer {viewer}"}


@pytest.fixture
async def api(mosquitto: MosquittoBroker, db_url: str) -> AsyncIterator[Api]:
    """The app on SQLite and on PostgreSQL (the queries behind the API differ by dialect)."""
    app = create_app(make_settings(db_url, mosquitto))
    async with app.router.lifespan_context(app):
        collector: Collector = app.state.collector
        # The lifespan returns before SUBACK: a message published earlier would be lost.
        assert collector.subscriber is not None
        assert await wait_ready(collector.subscriber, 10)
        ops = await create_token(collector.driver, Role.OPS, "test ops")
        tech = await create_token(collector.driver, Role.TECHNICIAN, "test technician")
        viewer = await create_token(collector.driver, Role.VIEWER, "test viewer")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://collector") as client:
            yield Api(client, collector, ops, tech, viewer)


@pytest.fixture
def peer(mosquitto: MosquittoBroker) -> Iterator[MqttPeer]:
    p = MqttPeer(mosquitto.url)
    p.watch_acks()
    yield p
    p.close()


async def register(api: Api) -> None:
    r = await api.client.post("/api/v1/offices", json=OFFICE, headers=api.tech)
    assert r.status_code == 201, r.text
    device = {"device_id": DEV, "office_id": OFFICE["office_id"], "counter_label": "C01"}
    r = await api.client.post("/api/v1/devices", json=device, headers=api.tech)
    assert r.status_code == 201, r.text


async def test_health_ready_and_openapi(api: Api) -> None:
    assert (await api.client.get("/healthz")).status_code == 200
    await eventually(lambda: api.collector.subscriber and api.collector.subscriber.ready)
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True, "broker": True}
    spec = (await api.client.get("/openapi.json")).json()
    for path in ("/api/v1/offices", "/api/v1/devices/{device_id}", "/api/v1/ratings/summary"):
        assert path in spec["paths"]


async def test_registration_needs_a_token_and_names_bad_fields(api: Api) -> None:
    r = await api.client.post("/api/v1/offices", json=OFFICE)
    assert r.status_code == 401
    assert "bearer" in r.json()["error"].lower()
    r = await api.client.post(
        "/api/v1/offices", json=OFFICE, headers={"Authorization": "Bearer cf_nope"}
    )
    assert r.status_code == 401
    bad = {**OFFICE, "office_id": "Not An Id"}
    r = await api.client.post("/api/v1/offices", json=bad, headers=api.tech)
    assert r.status_code == 422
    assert r.json()["field"] == "office_id"
    r = await api.client.post("/api/v1/offices", json={**OFFICE, "lat": 123}, headers=api.tech)
    assert r.status_code == 422
    assert r.json()["field"] == "lat"
    r = await api.client.post(
        "/api/v1/devices", json={"device_id": DEV, "office_id": "cm-nowhere"}, headers=api.tech
    )
    assert r.status_code == 409
    assert r.json()["field"] == "office_id"


async def test_offices_geojson_and_manual_pin(api: Api) -> None:
    await register(api)
    body = (await api.client.get("/api/v1/offices")).json()
    assert body["type"] == "FeatureCollection"
    feature = body["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [OFFICE["lon"], OFFICE["lat"]]}
    props = feature["properties"]
    assert props["office_id"] == OFFICE["office_id"]
    assert props["devices"] == [DEV]
    assert props["pin_source"] == "provisioned"
    assert props["name_th"] == OFFICE["name_th"]
    pin = {"lat": 18.79, "lon": 98.99, "accuracy_m": 3}
    r = await api.client.put(
        f"/api/v1/offices/{OFFICE['office_id']}/pin", json=pin, headers=api.tech
    )
    assert r.status_code == 403
    r = await api.client.put(
        f"/api/v1/offices/{OFFICE['office_id']}/pin", json=pin, headers=api.ops
    )
    assert r.status_code == 200
    props = (await api.client.get(f"/api/v1/offices/{OFFICE['office_id']}")).json()["properties"]
    assert (props["pin_source"], props["accuracy_m"]) == ("manual", 3)


async def test_gps_pin_is_robust_and_flagged(api: Api, peer: MqttPeer) -> None:
    office = {**OFFICE, "lat": 18.70, "lon": 98.90}  # registered ~14 km off the real site
    await api.client.post("/api/v1/offices", json=office, headers=api.tech)
    await api.client.post(
        "/api/v1/devices",
        json={"device_id": DEV, "office_id": OFFICE["office_id"]},
        headers=api.tech,
    )
    fixes = [(18.78780, 98.98530), (18.78781, 98.98528), (18.78776, 98.98531), (18.78779, 98.98527)]
    for lat, lon in fixes:
        peer.publish(DEV, Channel.LOCATION, location(DEV, lat, lon))
    peer.publish(DEV, Channel.LOCATION, location(DEV, 18.9, 99.2))  # a wild outlier
    peer.publish(DEV, Channel.LOCATION, location(DEV, 18.0, 98.0, hdop=9.0))  # poor fix

    async def gps_pin() -> dict | None:
        r = await api.client.get(f"/api/v1/offices/{OFFICE['office_id']}")
        feature = r.json()
        ok = feature["properties"]["pin_source"] == "gps" and "1 rejected" in (
            feature["properties"]["pin_detail"] or ""
        )
        return feature if ok else None

    feature = await eventually(gps_pin)
    lon, lat = feature["geometry"]["coordinates"]
    assert abs(lat - 18.78779) < 0.0001
    assert abs(lon - 98.98529) < 0.0001
    assert feature["properties"]["accuracy_m"] < 20
    assert "far_from_registered" in feature["properties"]["flags"]


async def test_device_view_alerts_and_metrics(api: Api, peer: MqttPeer) -> None:
    await register(api)
    peer.publish(DEV, Channel.STATE, state(DEV, "online"))
    peer.publish(DEV, Channel.HEARTBEAT, heartbeat(DEV, reader="absent", clock_synced=False))
    for seq in (1, 2, 5):
        peer.publish(DEV, Channel.EVENTS, rating(DEV, seq))
    peer.publish(DEV, Channel.EVENTS, rejected_event(DEV, 6))
    await eventually(lambda: peer.last_ack(DEV) == 2)

    async def device() -> dict | None:
        r = await api.client.get(f"/api/v1/devices/{DEV}", headers=api.viewer)
        d = r.json()
        return d if d.get("last_seq") == 6 and d.get("heartbeat") else None

    d = await eventually(device)
    assert d["office_id"] == OFFICE["office_id"]
    assert d["online"] is True
    assert d["missing_seqs"] == 2
    assert d["gaps"] == [{"from_seq": 3, "to_seq": 4, "status": "open"}]
    assert d["heartbeat"]["reader"] == "absent"
    assert (d["reader"], d["clock_synced"], d["outbox_depth"]) == ("absent", False, 0)
    assert d["last_seen"] is not None
    listing = (
        await api.client.get("/api/v1/devices", params={"limit": 1}, headers=api.viewer)
    ).json()
    assert [i["device_id"] for i in listing["items"]] == [DEV]
    assert listing["next_offset"] == 1
    alerts = (await api.client.get("/api/v1/alerts", headers=api.viewer)).json()["items"]
    assert {"reader", "clock_not_synced", "seq_gap", "dead_letters"} <= {a["kind"] for a in alerts}
    text = (await api.client.get("/metrics", headers=api.viewer)).text
    assert "cf_events_stored_total 3.0" in text
    assert 'cf_alerts{kind="seq_gap"} 1.0' in text
    for name in (
        "cf_messages_received_total",
        "cf_events_duplicate_total",
        "cf_dead_lettered_total",
        "cf_seq_gaps_opened_total",
    ):
        assert name in text


async def test_ratings_summary_groups_scales(api: Api, peer: MqttPeer) -> None:
    await register(api)
    scores = [(5, 5, True), (4, 5, True), (1, 5, False), (3, 3, True)]
    for seq, (score, scale, verified) in enumerate(scores, 1):
        peer.publish(DEV, Channel.EVENTS, rating(DEV, seq, score, scale, verified))
    await eventually(lambda: peer.last_ack(DEV) == 4)
    r = await api.client.get(
        "/api/v1/ratings/summary", params={"office_id": OFFICE["office_id"]}, headers=api.ops
    )
    s = r.json()
    assert s["total"] == 4
    assert s["verified_share"] == 0.75
    assert s["by_scale"]["5"]["counts"] == {"1": 1, "4": 1, "5": 1}
    assert s["by_scale"]["3"]["counts"] == {"3": 1}
    # normalised: 5/5 -> 1, 4/5 -> .75, 1/5 -> 0, 3/3 -> 1  => mean .6875 -> 3.75 on 1..5
    assert s["mean"] == 3.75
    future = await api.client.get(
        "/api/v1/ratings/summary", params={"from": "2099-01-01T00:00:00+07:00"}, headers=api.ops
    )
    assert future.json()["total"] == 0
    bad = await api.client.get("/api/v1/ratings/summary", params={"from": "yesterday"})
    assert bad.status_code == 422
    assert bad.json()["field"] == "from"


async def test_ops_lists_dead_letters_quarantine_and_commands(api: Api, peer: MqttPeer) -> None:
    await register(api)
    stranger = "cm-stranger-c01"
    peer.publish(stranger, Channel.EVENTS, rating(stranger, 1))
    peer.publish_raw(f"cf/v1/devices/{DEV}/events", b"not json")
    await eventually(lambda: peer.last_ack(stranger) == 1)
    assert (await api.client.get("/api/v1/quarantine")).status_code == 401
    q = (await api.client.get("/api/v1/quarantine", headers=api.ops)).json()
    assert [i["device_id"] for i in q["items"]] == [stranger]

    async def letters() -> list:
        r = await api.client.get("/api/v1/dead-letters", headers=api.ops)
        return r.json()["items"]

    items = await eventually(letters)
    assert items[0]["code"] == "invalid_json"
    assert items[0]["payload_text"] == "not json"
    peer.watch_commands(DEV)  # returns once the broker granted it (SUBACK)
    r = await api.client.post(
        f"/api/v1/devices/{DEV}/commands", json={"type": "identify", "seconds": 5}, headers=api.ops
    )
    assert r.status_code == 202, r.text
    command_id = r.json()["id"]
    await eventually(lambda: peer.commands)
    sent = json.loads(peer.commands[0])
    assert (sent["type"], sent["id"], sent["body"]["seconds"]) == ("identify", command_id, 5)
    result = CommandResult(
        v=1,
        id=new_message_id(),
        device=DEV,
        ts=now(),
        body=CommandResultBody(command=uuid.UUID(command_id), ok=True, detail="blinked"),
    )
    peer.publish(DEV, Channel.COMMAND_RESULTS, encode(result))

    async def answered() -> dict | None:
        r = await api.client.get(f"/api/v1/devices/{DEV}/commands", headers=api.ops)
        item = r.json()["items"][0]
        return item if item["result"] else None

    item = await eventually(answered)
    assert item["result"]["ok"] is True
    assert item["result"]["detail"] == "blinked"


async def test_offline_and_far_from_pin_alerts(
    mosquitto: MosquittoBroker, tmp_path: Path, peer: MqttPeer
) -> None:
    settings = make_settings(
        str(tmp_path / "alerts.db"),
        mosquitto,
        heartbeat_timeout_s=0.2,
        alert_offline_s=0,
        alert_pin_distance_m=300,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        collector: Collector = app.state.collector
        assert collector.subscriber is not None
        assert await wait_ready(collector.subscriber, 10)
        ops = {"Authorization": f"Bearer {await create_token(collector.driver, Role.OPS, 't')}"}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://collector"
        ) as client:
            await client.post("/api/v1/offices", json=OFFICE, headers=ops)
            await client.post(
                "/api/v1/devices",
                json={"device_id": DEV, "office_id": OFFICE["office_id"]},
                headers=ops,
            )
            pin = {"lat": OFFICE["lat"], "lon": OFFICE["lon"]}
            await client.put(f"/api/v1/offices/{OFFICE['office_id']}/pin", json=pin, headers=ops)
            peer.publish(DEV, Channel.STATE, state(DEV, "online"))
            # ~1.1 km north of the pin (a poor fix, so the manual pin stays the reference).
            peer.publish(DEV, Channel.LOCATION, location(DEV, OFFICE["lat"] + 0.01, OFFICE["lon"]))

            async def kinds() -> set[str]:
                r = await client.get("/api/v1/alerts", headers=ops)
                return {a["kind"] for a in r.json()["items"]}

            found = await eventually(lambda: _has(kinds, {"far_from_pin", "offline"}))
            assert {"far_from_pin", "offline"} <= found
            device = (await client.get(f"/api/v1/devices/{DEV}", headers=ops)).json()
            assert device["online"] is False
            text = (await client.get("/metrics", headers=ops)).text
            assert 'cf_alerts{kind="offline"} 1.0' in text


async def _has(kinds: object, wanted: set[str]) -> set[str] | None:
    found = await kinds()  # type: ignore[operator]
    return found if wanted <= found else None
