"""Ratings by channel, counter and service, checked against sums computed here.

Button ratings go through the real ingest writer (office and counter stamped, rollups kept);
web ratings are rollup rows under ``web:<counter>`` as the citizen form stores them (inserted
here directly). Service: ratings of a card session in which a ``copy.made`` named a service.
"""

from __future__ import annotations

import csv
import io
import random
import uuid
from collections.abc import AsyncIterator

import pytest

from collector.records import EventRow, IngestBatch
from collector.registry import DeviceIn
from collector.registry_writes import upsert_device
from collector.storage.ingest_store import write_batch
from tests.collector.accounts.rig import Rig, running_rig
from tests.collector.managers.data import DAY, HOUR, QUERY, START, Seqs, event, norm, rating
from tests.fixtures.smtp import SmtpSink

A, B = "cm-mueang-chiang-mai-dopa", "cm-chom-thong-dopa"
K = 5


@pytest.fixture
async def rig(db_url: str, smtp_server: SmtpSink) -> AsyncIterator[Rig]:
    async with running_rig(db_url, smtp_server, k_anonymity=K) as r:
        await r.office("office-a", A)
        await r.office("office-b", B)
        for device, office, counter in (
            ("dev-a1", "office-a", "1"),
            ("dev-a2", "office-a", "2"),
            ("dev-b1", "office-b", "1"),
        ):
            await upsert_device(
                r.driver, DeviceIn(device_id=device, office_id=office, counter_label=counter)
            )
        yield r


async def _web(rig: Rig, office: str, counter: str, rows: list[tuple[int, int, int, int]]) -> None:
    """Web ratings as rollup rows: (hour offset, score, verified, n) on a 5-point scale."""
    async with rig.driver.transaction() as tx:
        for hour, score, verified, n in rows:
            await tx.execute(
                "INSERT INTO rating_rollups (office_id, device_id, hour_ms, scale, score, "
                "verified, n) VALUES (?, ?, ?, 5, ?, ?, ?)",
                office,
                f"web:{counter}",
                START + hour * HOUR,
                score,
                verified,
                n,
            )


def _summary(values: list[tuple[float, int]]) -> dict[str, float]:
    """n, mean, negative share and verified share of (normalised score, verified) pairs."""
    n = len(values)
    return {
        "n": n,
        "mean": sum(v for v, _ in values) / n,
        "negative_share": sum(1 for v, _ in values if v < 3) / n,
        "verified_share": sum(ver for _, ver in values) / n,
    }


def _check(group: dict[str, object], values: list[tuple[float, int]]) -> None:
    if len(values) < K:
        assert group["suppressed"] is True
        assert group["n"] is None
        assert group["mean"] is None
        return
    want = _summary(values)
    assert group["n"] == want["n"]
    for key in ("mean", "negative_share", "verified_share"):
        assert group[key] == pytest.approx(want[key], abs=1e-3), key


async def test_channel_and_counter_breakdowns(rig: Rig) -> None:
    rng, seqs = random.Random(21), Seqs()
    buttons = [rating(seqs, "dev-a1", START + rng.randrange(10 * DAY), rng) for _ in range(120)]
    buttons += [rating(seqs, "dev-a2", START + rng.randrange(10 * DAY), rng, 3) for _ in range(3)]
    buttons += [rating(seqs, "dev-b1", START + rng.randrange(10 * DAY), rng) for _ in range(40)]
    await write_batch(rig.driver, IngestBatch(events=buttons))
    web = [(h, rng.randint(1, 5), rng.randint(0, 1), rng.randint(1, 3)) for h in range(0, 200, 7)]
    await _web(rig, "office-a", "1", web)
    await _web(rig, "office-a", "9", [(5, 1, 0, 2)])  # a quiet web counter: 2 < k

    expected: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for e in buttons:
        if e.device_id.startswith("dev-a"):
            counter = e.device_id[-1]
            assert e.score is not None
            assert e.scale is not None
            expected.setdefault(("buttons", counter), []).append(
                (norm(e.score, e.scale), e.verified or 0)
            )
    for _h, score, verified, n in web:
        expected.setdefault(("web", "1"), []).extend([(norm(score, 5), verified)] * n)
    expected[("web", "9")] = [(1.0, 0)] * 2

    async with rig.client() as c:
        r = await c.get(
            f"/api/v1/analytics/breakdown?by=counter&office_id=office-a&{QUERY}", headers=rig.ops
        )
        assert r.status_code == 200, r.text
        groups = {(g["channel"], g["counter"]): g for g in r.json()["groups"]}
        assert set(groups) == set(expected)
        for key, values in expected.items():
            _check(groups[key], values)
        assert groups[("buttons", "2")]["suppressed"]  # 3 ratings
        assert groups[("web", "9")]["suppressed"]

        r = await c.get(
            f"/api/v1/analytics/breakdown?by=channel&office_id=office-a&{QUERY}", headers=rig.ops
        )
        channels = {g["channel"]: g for g in r.json()["groups"]}
        for channel in ("buttons", "web"):
            _check(
                channels[channel],
                [v for (ch, _c), vs in expected.items() if ch == channel for v in vs],
            )

        r = await c.get(
            f"/api/v1/analytics/export?report=counter&office_id=office-a&{QUERY}",
            headers=rig.ops,
        )
        assert r.status_code == 200, r.text
        assert r.content.startswith(b"\xef\xbb\xbf")
        lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert ["report", "counter"] in lines
        header = lines.index(
            ["office_id", "channel", "counter", "n", "mean", "negative_share",
             "verified_share", "suppressed"]
        )  # fmt: skip
        body = {(row[1], row[2]): row for row in lines[header + 1 :]}
        assert body[("web", "9")][3:5] == ["", ""]
        assert body[("web", "9")][7] == "yes"
        assert int(body[("buttons", "1")][3]) == len(expected[("buttons", "1")])

    # Scope: B's manager gets 404 for A's office, and only B's channel without a filter.
    async with rig.person("mb@example.go.th", "manager", B, ["office-b"]) as mb:
        r = await mb.get(f"/api/v1/analytics/breakdown?by=counter&office_id=office-a&{QUERY}")
        assert r.status_code == 404
        r = await mb.get(f"/api/v1/analytics/breakdown?by=channel&{QUERY}")
        assert [(g["channel"], g["n"]) for g in r.json()["groups"]] == [("buttons", 40)]
        r = await mb.get(f"/api/v1/analytics/export?report=channel&office_id=office-a&{QUERY}")
        assert r.status_code == 404


async def test_service_breakdown_from_card_sessions(rig: Rig) -> None:
    rng, seqs = random.Random(5), Seqs()
    events: list[EventRow] = []
    truth: dict[str, list[tuple[float, int]]] = {}
    for i in range(60):
        ts = START + rng.randrange(10 * DAY)
        session = str(uuid.uuid4())
        service = ("id-card", "house-move", None)[i % 3]
        events.append(event(seqs, "dev-a1", "session.started", ts, session=session))
        if service is not None:
            body = {"session": session, "document": "id_card", "service": service}
            events.append(event(seqs, "dev-a1", "copy.made", ts + 1000, session=session, body=body))
        score, verified = rng.randint(1, 4), rng.randint(0, 1)
        events.append(
            event(seqs, "dev-a1", "rating", ts + 60_000, session=session, score=score,
                  scale=4, verified=verified)
        )  # fmt: skip
        truth.setdefault(service or "(unknown)", []).append((norm(score, 4), verified))
    await write_batch(rig.driver, IngestBatch(events=events))
    async with rig.client() as c:
        r = await c.get(
            f"/api/v1/analytics/breakdown?by=service&office_id=office-a&{QUERY}", headers=rig.ops
        )
    groups = {g["service"]: g for g in r.json()["groups"]}
    assert set(groups) == set(truth)
    for service, values in truth.items():
        _check(groups[service], values)
