"""Agency people on the fleet routes: their own offices and devices in the fleet view, another
agency's objects 404, lists cut to their scope, alerts of their offices only."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from collector.records import IngestBatch
from collector.registry import DeviceIn
from collector.registry_writes import upsert_device
from collector.storage.ingest_store import write_batch
from tests.collector.accounts.rig import Rig, running_rig
from tests.collector.managers.data import START, Seqs, event
from tests.fixtures.smtp import SmtpSink

A, B = "cm-mueang-chiang-mai-dopa", "cm-chom-thong-dopa"


@pytest.fixture
async def rig(db_url: str, smtp_server: SmtpSink) -> AsyncIterator[Rig]:
    async with running_rig(db_url, smtp_server) as r:
        # Office texts as the registry holds them: an id, a Thai name, "Thai (English)".
        await r.office("office-a", A)
        await r.office("office-a2", "ที่ว่าการอำเภอเมืองเชียงใหม่")
        await r.office("office-b", "ที่ว่าการอำเภอจอมทอง (Chom Thong District Office)")
        await r.office("office-x", "no such agency")
        for device, office in (
            ("dev-a", "office-a"),
            ("dev-a2", "office-a2"),
            ("dev-b", "office-b"),
            ("dev-x", "office-x"),
        ):
            await upsert_device(r.driver, DeviceIn(device_id=device, office_id=office))
        yield r


async def _gap(rig: Rig, device: str) -> None:
    """Seqs 1 and 3 arrive: the device has an open gap, so it has a ``seq_gap`` alert."""
    seqs = Seqs()
    first, _lost, third = (event(seqs, device, "fault", START) for _ in range(3))
    await write_batch(rig.driver, IngestBatch(events=[first, third]))


async def test_agency_people_see_their_own_fleet(rig: Rig) -> None:
    for device in ("dev-a", "dev-a2", "dev-b", "dev-x"):
        await _gap(rig, device)
    async with rig.client() as c:
        everything = (await c.get("/api/v1/alerts?kind=seq_gap", headers=rig.ops)).json()
    assert {a["device_id"] for a in everything["items"]} == {"dev-a", "dev-a2", "dev-b", "dev-x"}
    async with (
        rig.person("aa@example.go.th", "agency_admin", A) as admin_a,
        rig.person("mb@example.go.th", "manager", B, ["office-b"]) as manager_b,
        rig.person("ma@example.go.th", "manager", A, ["office-a2"]) as manager_a2,
        rig.client() as anonymous,
    ):
        for client, offices, devices in (
            (admin_a, {"office-a", "office-a2"}, {"dev-a", "dev-a2"}),
            (manager_b, {"office-b"}, {"dev-b"}),
            (manager_a2, {"office-a2"}, {"dev-a2"}),
        ):
            r = await client.get("/api/v1/devices")
            assert r.json()["view"] == "fleet"
            items = r.json()["items"]
            assert {d["device_id"] for d in items} == devices
            assert all("credential_fingerprint" in d for d in items)  # the fleet view
            r = await client.get("/api/v1/offices")
            assert {f["id"] for f in r.json()["features"]} == offices
            for device in ("dev-a", "dev-a2", "dev-b", "dev-x"):
                r = await client.get(f"/api/v1/devices/{device}")
                assert r.status_code == (200 if device in devices else 404), (device, r.text)
            for office in ("office-a", "office-a2", "office-b", "office-x"):
                r = await client.get(f"/api/v1/offices/{office}")
                assert r.status_code == (200 if office in offices else 404), (office, r.text)
            alerts = (await client.get("/api/v1/alerts?kind=seq_gap")).json()["items"]
            assert {a["device_id"] for a in alerts} == devices
            assert (await client.get("/metrics")).status_code == 403
            assert (await client.get("/api/v1/quarantine")).status_code == 403
        # Anonymous callers keep the public projection of everything.
        r = await anonymous.get("/api/v1/devices")
        assert r.json()["view"] == "public"
        assert {d["device_id"] for d in r.json()["items"]} == {"dev-a", "dev-a2", "dev-b", "dev-x"}
        assert (await anonymous.get("/api/v1/offices/office-b")).status_code == 200
        r = await anonymous.get("/api/v1/offices/office-b")
        assert r.json()["properties"]["agency_id"] == B
