"""Faster pins: the agent's consolidated fix gives a one-counter office its GPS pin at once.

The real ``LocationTracker`` (fake clock, a minute of jittery 1 Hz fixes) publishes through a
real broker to the collector (SQLite and PostgreSQL): the single fix that comes first is not
enough (3 fixes are needed), the consolidated one a minute later is, with its spread as the
pin's accuracy. Old-style single fixes still count one each.
"""

from __future__ import annotations

from pathlib import Path

from agent import wire
from agent.config import LocationSettings
from agent.location import Fix, LocationTracker
from collector.pins import Fix as StoredFix
from collector.pins import estimate_gps_pin
from protocols import Channel, Location, LocationBody, encode, new_message_id, now
from tests.agent.doubles import FakeClock
from tests.collector.devices import MqttPeer, eventually
from tests.collector.test_api import DEV, OFFICE, Api, api, peer, register

__all__ = ["api", "peer"]  # fixtures used by name below


def test_a_consolidated_fix_counts_as_its_samples() -> None:
    single = StoredFix(18.8, 99.0, "gps", 4.0, 0.9, "3d")
    consolidated = StoredFix(18.8, 99.0, "gps", 2.5, 0.9, "3d", samples=57, spread_m=2.5)
    limits = {"min_fixes": 3, "max_hdop": 3.0, "max_accuracy_m": 50.0}
    assert estimate_gps_pin([single], **limits) is None
    pin = estimate_gps_pin([single, consolidated], **limits)
    assert pin is not None
    assert pin.fixes == 58
    assert pin.accuracy_m == 2.5  # never better than the spread the agent measured
    capped = estimate_gps_pin(
        [consolidated.__class__(18.8, 99.0, "gps", 2.0, 0.9, "3d", 10**6, 2.0)], **limits
    )
    assert capped is not None
    assert capped.fixes == 60


async def test_one_counter_office_gets_its_gps_pin_from_the_first_consolidated_fix(
    api: Api, peer: MqttPeer, tmp_path: Path
) -> None:
    await register(api)
    clock = FakeClock()

    def publish(body: wire.LocationBody) -> bool:
        # The agent builds plain bodies (agent/wire.py); the peer sends them as the model would.
        wire_body = LocationBody.model_validate(wire.body_dict(body))
        message = Location(v=1, id=new_message_id(), device=DEV, ts=now(), body=wire_body)
        peer.publish(DEV, Channel.LOCATION, encode(message), retain=True)
        return True

    settings = LocationSettings(lat=OFFICE["lat"], lon=OFFICE["lon"], accuracy_m=30)
    tracker = LocationTracker(settings, clock, publish, tmp_path / "location.json")
    base_lat, base_lon = 18.78779, 98.98529
    tracker.on_fix(Fix(base_lat, base_lon, mode=3, hdop=0.9, eph=4.0, sats=9))

    async def stored_fixes() -> int | None:
        n = await api.collector.driver.fetchval("SELECT count(*) FROM locations")
        return int(n) if n else None

    await eventually(stored_fixes)
    office = (await api.client.get(f"/api/v1/offices/{OFFICE['office_id']}")).json()
    assert office["properties"]["pin_source"] == "provisioned"  # one fix is not enough
    for i in range(1, 61):
        clock.advance(1)
        jitter = ((i % 5) - 2) * 0.00002
        tracker.on_fix(Fix(base_lat + jitter, base_lon + jitter, mode=3, hdop=0.9, eph=4.0))

    async def gps_pin() -> dict | None:
        feature = (await api.client.get(f"/api/v1/offices/{OFFICE['office_id']}")).json()
        return feature if feature["properties"]["pin_source"] == "gps" else None

    feature = await eventually(gps_pin)
    lon, lat = feature["geometry"]["coordinates"]
    assert abs(lat - base_lat) < 0.00002
    assert abs(lon - base_lon) < 0.00002
    # the first single fix, plus the consolidated one counted as 60 (its 61 samples, capped)
    assert feature["properties"]["pin_detail"] == "61 fixes, 0 rejected"
    assert 1.0 <= feature["properties"]["accuracy_m"] < 10
    row = await api.collector.driver.fetchrow(
        "SELECT samples, spread_m FROM locations WHERE samples IS NOT NULL"
    )
    assert row is not None
    assert row["samples"] == 61
