"""Zero copy over time: the measured share per office and week/day, against a count made here."""

from __future__ import annotations

import csv
import io
import random
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest

from collector.records import EventRow, IngestBatch
from collector.registry import DeviceIn
from collector.registry_writes import upsert_device
from collector.storage.ingest_store import write_batch
from tests.collector.accounts.rig import Rig, running_rig
from tests.collector.managers.data import DAY, QUERY, START, Seqs, event, local_day
from tests.fixtures.smtp import SmtpSink

A = "cm-mueang-chiang-mai-dopa"
K = 5


@pytest.fixture
async def rig(db_url: str, smtp_server: SmtpSink) -> AsyncIterator[Rig]:
    async with running_rig(db_url, smtp_server, k_anonymity=K) as r:
        await r.office("office-a", A)
        await upsert_device(r.driver, DeviceIn(device_id="dev-a1", office_id="office-a"))
        yield r


def _monday(day: str) -> str:
    d = date.fromisoformat(day)
    return (d - timedelta(days=d.weekday())).isoformat()


async def test_share_per_week_and_day(rig: Rig) -> None:
    rng, seqs = random.Random(8), Seqs()
    events: list[EventRow] = []
    per_day: dict[str, list[bool]] = {}  # visitor sessions of each day: copy requested?
    for _ in range(90):
        ts = START + rng.randrange(13 * DAY)
        session = str(uuid.uuid4())
        visitor = rng.random() < 0.85
        body = {"visitor": "v" + session[:8] if visitor else None}
        events.append(event(seqs, "dev-a1", "session.started", ts, session=session, body=body))
        copy = rng.random() < 0.3
        if copy:
            for _twice in range(rng.randint(1, 2)):  # a session asking twice counts once
                doc = {"session": session, "document": "id_card"}
                events.append(
                    event(seqs, "dev-a1", "copy.requested", ts + 5000, session=session, body=doc)
                )
        if visitor:
            per_day.setdefault(local_day(ts), []).append(copy)
    await write_batch(rig.driver, IngestBatch(events=events))
    per_week: dict[str, list[bool]] = {}
    for day, copies in per_day.items():
        per_week.setdefault(_monday(day), []).extend(copies)

    async with rig.client() as c:
        for grain, truth in (("week", per_week), ("day", per_day)):
            r = await c.get(
                f"/api/v1/analytics/zero-copy?office_id=office-a&grain={grain}&{QUERY}",
                headers=rig.ops,
            )
            assert r.status_code == 200, r.text
            (office,) = r.json()["offices"]
            points = {p["period"]: p for p in office["points"]}
            assert set(points) == set(truth)
            for period, copies in truth.items():
                p = points[period]
                if len(copies) < K:
                    assert p["suppressed"]
                    assert p["copy_share"] is None
                    assert p["sessions"] is None
                else:
                    assert p["sessions"] == len(copies)
                    assert p["sessions_with_copy"] == sum(copies)
                    assert p["copy_share"] == pytest.approx(sum(copies) / len(copies), abs=1e-4)
        r = await c.get(
            f"/api/v1/analytics/export?report=zero-copy&grain=week&format=csv&{QUERY}",
            headers=rig.ops,
        )
        lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert ["grain", "week"] in lines
        rows = [line for line in lines if line and line[0] == "office-a"]
        assert {row[1] for row in rows} == set(per_week)
        for row in rows:
            assert int(row[2]) == len(per_week[row[1]])
