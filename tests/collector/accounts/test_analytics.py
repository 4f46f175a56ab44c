"""Analytics over generated ratings, checked against sums computed here independently.

The events go through the real ingest writer (``write_batch``), so office stamping and rollups
are the ones ingest maintains; expectations are computed from the generated list with
``zoneinfo`` (the code uses a fixed +07:00 offset).
"""

from __future__ import annotations

import csv
import io
import random
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from collector.records import EventRow, IngestBatch
from collector.registry import DeviceIn
from collector.registry_writes import upsert_device
from collector.storage.ingest_store import write_batch
from tests.collector.accounts.rig import Rig, running_rig
from tests.fixtures.smtp import SmtpSink

THAI = ZoneInfo("Asia/Bangkok")
A, B = "cm-mueang-chiang-mai-dopa", "cm-chom-thong-dopa"
START = int(datetime(2026, 3, 2, tzinfo=THAI).timestamp() * 1000)  # a Monday
DAY = 86_400_000
K = 5
W = 20.0


def ratings(device: str, n: int, scale: int, rng: random.Random, seq0: int = 1) -> list[EventRow]:
    rows = []
    for i in range(n):
        ts = START + rng.randrange(14 * DAY)
        rows.append(
            EventRow(
                str(uuid.uuid4()),
                device,
                seq0 + i,
                "rating",
                ts,
                ts,
                None,
                rng.randint(1, scale),
                scale,
                rng.randint(0, 1),
                "{}",
            )
        )
    return rows


def norm(e: EventRow) -> float:
    assert e.score is not None
    assert e.scale is not None
    return 1 + 4 * (e.score - 1) / (e.scale - 1)


@pytest.fixture
async def rig(db_url: str, smtp_server: SmtpSink) -> AsyncIterator[Rig]:
    async with running_rig(db_url, smtp_server, k_anonymity=K, ranking_prior_weight=W) as r:
        for office, agency, device in (
            ("office-a", A, "dev-a"),
            ("office-a2", A, "dev-a2"),
            ("office-b", B, "dev-b"),
        ):
            await r.office(office, agency)
            await upsert_device(r.driver, DeviceIn(device_id=device, office_id=office))
        yield r


async def test_heatmap_ranking_exports_match_an_independent_computation(rig: Rig) -> None:
    rng = random.Random(7)
    a, a2, b = (
        ratings("dev-a", 400, 5, rng),
        ratings("dev-a2", 3, 5, rng),
        ratings("dev-b", 150, 3, rng),
    )
    await write_batch(rig.driver, IngestBatch(events=a + a2 + b))
    await write_batch(rig.driver, IngestBatch(events=a[:50]))  # redelivered: counted once
    query = "from=2026-03-02&to=2026-03-15"
    async with rig.client() as c:
        r = await c.get(f"/api/v1/analytics/heatmap?office_id=office-a&{query}", headers=rig.ops)
        assert r.status_code == 200, r.text
        cells = {(x["weekday"], x["hour"]): x for x in r.json()["cells"]}
        expected: dict[tuple[int, int], list[float]] = {}
        for e in a:
            t = datetime.fromtimestamp(e.ts_ms / 1000, THAI)
            expected.setdefault((t.weekday(), t.hour), []).append(norm(e))
        assert len(cells) == 168
        for key, cell in cells.items():
            values = expected.get(key, [])
            if 0 < len(values) < K:
                assert cell["suppressed"]
                assert cell["n"] is None
                assert cell["mean"] is None
            else:
                assert cell["n"] == len(values)
                if values:
                    assert cell["mean"] == pytest.approx(sum(values) / len(values), abs=1e-3)
        assert any(c["suppressed"] for c in cells.values())  # the data has quiet hours

        r = await c.get(f"/api/v1/analytics/ranking?{query}", headers=rig.ops)
        report = r.json()
        everything = [norm(e) for e in a + a2 + b]
        m_all = sum(everything) / len(everything)
        offices = {o["office_id"]: o for o in report["offices"]}
        for office, events in (("office-a", a), ("office-b", b)):
            values = [norm(e) for e in events]
            rs = (m_all * W + sum(values)) / (W + len(values))
            assert offices[office]["score"] == pytest.approx(rs, abs=1e-3)
            assert offices[office]["n"] == len(values)
            share = sum(e.verified or 0 for e in events) / len(events)
            assert offices[office]["verified_share"] == pytest.approx(share, abs=1e-4)
        assert offices["office-a2"]["suppressed"]  # 3 ratings < k
        assert offices["office-a2"]["score"] is None
        assert report["formula"] == "RS = (M·W + m·n) / (W + n)"

        r = await c.get(
            f"/api/v1/analytics/export?report=heatmap&office_id=office-a&{query}", headers=rig.ops
        )
        assert r.content.startswith(b"\xef\xbb\xbf")
        lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert ["from", "2026-03-02"] in lines
        assert ["k (cells below are suppressed)", str(K)] in lines
        header = lines.index(["weekday", "hour", "n", "mean", "suppressed"])
        body = lines[header + 1 :]
        assert len(body) == 168
        assert sum(int(row[2]) for row in body if row[2]) == sum(
            len(v) for v in expected.values() if len(v) >= K
        )
        r = await c.get(
            f"/api/v1/analytics/export?report=ranking&format=xlsx&{query}", headers=rig.ops
        )
        sheet = load_workbook(io.BytesIO(r.content)).active
        assert sheet is not None
        assert sheet["A1"].value == "report"
        assert sheet["B1"].value == "ranking"
        names = [row[1] for row in sheet.iter_rows(min_row=9, values_only=True)]
        assert set(names) == {"office-a", "office-a2", "office-b"}


async def test_moving_a_device_keeps_its_history(rig: Rig) -> None:
    rng = random.Random(3)
    before = ratings("dev-a", 20, 5, rng)
    await write_batch(rig.driver, IngestBatch(events=before))
    await upsert_device(rig.driver, DeviceIn(device_id="dev-a", office_id="office-b"))
    after = ratings("dev-a", 12, 5, rng, seq0=21)
    await write_batch(rig.driver, IngestBatch(events=after))
    offices = await rig.driver.fetch(
        "SELECT office_id, count(*) AS n FROM events GROUP BY office_id ORDER BY office_id"
    )
    assert [(r["office_id"], r["n"]) for r in offices] == [("office-a", 20), ("office-b", 12)]
    rolled = await rig.driver.fetch(
        "SELECT office_id, sum(n) AS n FROM rating_rollups GROUP BY office_id ORDER BY office_id"
    )
    assert [(r["office_id"], int(r["n"])) for r in rolled] == [("office-a", 20), ("office-b", 12)]


async def test_bad_filters_and_scope(rig: Rig) -> None:
    async with rig.client() as c:
        r = await c.get("/api/v1/analytics/heatmap?from=2026-03-10&to=2026-03-01", headers=rig.ops)
        assert r.status_code == 422
        assert r.json()["field"] == "from"
        r = await c.get("/api/v1/analytics/ranking?from=2569-01-01", headers=rig.ops)
        assert r.status_code == 422
        assert r.json()["field"] == "from"
        assert "2026" in r.json()["error"]
        r = await c.get("/api/v1/analytics/ranking?to=03/10/2026", headers=rig.ops)
        assert r.json()["field"] == "to"
    await write_batch(rig.driver, IngestBatch(events=ratings("dev-a", 30, 5, random.Random(1))))
    async with rig.person("mb@example.go.th", "manager", B, ["office-b"]) as mb:
        r = await mb.get(
            "/api/v1/analytics/heatmap?office_id=office-a&from=2026-03-02&to=2026-03-15"
        )
        assert r.status_code == 404
        r = await mb.get("/api/v1/analytics/ranking?from=2026-03-02&to=2026-03-15")
        assert [o["office_id"] for o in r.json()["offices"]] == []  # B has no ratings; A unseen
        r = await mb.get("/api/v1/analytics/export?report=heatmap&office_id=office-a")
        assert r.status_code == 404


async def test_trend_and_distribution_match_an_independent_computation(rig: Rig) -> None:
    rng = random.Random(11)
    a = ratings("dev-a", 300, 5, rng)
    await write_batch(rig.driver, IngestBatch(events=a))
    query = "office_id=office-a&from=2026-03-02&to=2026-03-15"
    weeks: dict[str, list[EventRow]] = {}
    for e in a:
        local = datetime.fromtimestamp(e.ts_ms / 1000, THAI).date()
        monday = local.fromordinal(local.toordinal() - local.weekday())
        weeks.setdefault(monday.isoformat(), []).append(e)
    async with rig.client() as c:
        r = await c.get(f"/api/v1/analytics/trend?grain=week&{query}", headers=rig.ops)
        points = {p["period"]: p for p in r.json()["points"]}
        assert set(points) == set(weeks) == {"2026-03-02", "2026-03-09"}
        for week, events in weeks.items():
            assert points[week]["n"] == len(events)
            mean = sum(norm(e) for e in events) / len(events)
            assert points[week]["mean"] == pytest.approx(mean, abs=1e-3)
        r = await c.get(f"/api/v1/analytics/trend?grain=day&{query}", headers=rig.ops)
        days: dict[str, int] = {}
        for e in a:
            day = datetime.fromtimestamp(e.ts_ms / 1000, THAI).date().isoformat()
            days[day] = days.get(day, 0) + 1
        for p in r.json()["points"]:
            assert p["n"] == (days[p["period"]] if days[p["period"]] >= K else None)
        r = await c.get(f"/api/v1/analytics/distribution?{query}", headers=rig.ops)
        got = {(x["scale"], x["score"]): x["n"] for x in r.json()["counts"]}
        for score in range(1, 6):
            assert got[(5, score)] == sum(1 for e in a if e.score == score)
        r = await c.get(
            f"/api/v1/analytics/export?report=trend&grain=month&{query}", headers=rig.ops
        )
        lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert ["grain", "month"] in lines
        assert lines[-1][:2] == ["2026-03", "300"]


async def test_analytics_page_scope_and_filters(rig: Rig) -> None:
    await write_batch(rig.driver, IngestBatch(events=ratings("dev-a", 200, 5, random.Random(5))))
    async with rig.person("ma@example.go.th", "manager", A, ["office-a"]) as ma:
        page = await ma.get("/analytics?from=2026-03-02&to=2026-03-15")
        assert page.status_code == 200
        assert page.text.count('<tr><th scope="row">') == 7
        assert "RS = (M·W + m·n) / (W + n)" in page.text
        assert 'data-office-id="office-a"' in page.text
        assert 'data-office-id="office-b"' not in page.text
        assert "report=heatmap&amp;from=2026-03-02" in page.text
        bad = await ma.get("/analytics?from=2569-03-02")
        assert bad.status_code == 422
        assert "from: 2569 looks like a Buddhist-era year" in bad.text
        assert (await ma.get("/analytics?office_id=office-b")).status_code == 404
    async with rig.person("t@example.go.th", "technician") as tech:
        assert (await tech.get("/analytics")).status_code == 404


async def test_session_durations_and_satisfaction_by_band(rig: Rig) -> None:
    rng = random.Random(9)
    events: list[EventRow] = []
    truth: list[tuple[int, float]] = []  # (duration ms, normalised score)
    seq = 1
    for _ in range(40):
        session = str(uuid.uuid4())
        start = START + rng.randrange(10 * DAY)
        duration = rng.choice([60_000, 240_000, 600_000, 1_200_000, 2_400_000])
        score = rng.randint(1, 5)
        for kind, ts, sc in (
            ("session.started", start, None),
            ("rating", start + duration - 1, score),
            ("session.ended", start + duration, None),
        ):
            events.append(
                EventRow(
                    str(uuid.uuid4()),
                    "dev-a",
                    seq,
                    kind,
                    ts,
                    ts,
                    session,
                    sc,
                    5 if sc else None,
                    1 if sc else None,
                    "{}",
                )
            )
            seq += 1
        truth.append((duration, 1 + (score - 1)))
    events.append(
        EventRow(
            str(uuid.uuid4()),
            "dev-a",
            seq,
            "session.started",
            START,
            START,
            "never-ended",
            None,
            None,
            None,
            "{}",
        )
    )
    await write_batch(rig.driver, IngestBatch(events=events))
    async with rig.client() as c:
        r = await c.get(
            "/api/v1/analytics/sessions?office_id=office-a&from=2026-03-02&to=2026-03-15",
            headers=rig.ops,
        )
    report = r.json()
    assert report["sessions"] == 40  # the unfinished session is left out
    durations = sorted(d for d, _ in truth)
    assert report["median_s"] == pytest.approx((durations[19] + durations[20]) / 2000, abs=0.1)
    bands = {b["band"]: b for b in report["bands"]}
    for low, high, label in (
        (0, 300_000, "<5 min"),
        (300_000, 900_000, "5-15 min"),
        (900_000, 1_800_000, "15-30 min"),
        (1_800_000, 10**9, ">30 min"),
    ):
        inside = [s for d, s in truth if low <= d < high]
        if len(inside) < K:
            assert bands[label]["suppressed"]
            assert bands[label]["sessions"] is None
        else:
            assert bands[label]["sessions"] == len(inside)
            assert bands[label]["mean"] == pytest.approx(sum(inside) / len(inside), abs=1e-3)
