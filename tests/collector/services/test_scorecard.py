"""Scorecards: shrinkage keeps a 3-rating office off the top; cards open on a period with data."""

from __future__ import annotations

import time
import uuid

import pytest

from collector.records import EventRow, IngestBatch
from collector.registry import DeviceIn
from collector.registry_writes import upsert_device
from collector.services.scorecard import card, office_scorecard, ranking
from collector.storage import Driver
from collector.storage.ingest_store import write_batch
from protocols.events import RatingBody

DAY = 86_400_000


def _ratings(device: str, scores: list[int], ts_ms: int, scale: int = 5) -> list[EventRow]:
    rows = []
    for seq, score in enumerate(scores, 1):
        body = RatingBody(session=None, score=score, scale=scale, verified=True)
        rows.append(
            EventRow(
                str(uuid.uuid4()),
                device,
                seq,
                "rating",
                ts_ms + seq,
                ts_ms + seq,
                None,
                score,
                scale,
                1,
                body.model_dump_json(),
            )
        )
    return rows


async def _devices(driver: Driver) -> None:
    for device, office in (
        ("cm-small-c01", "cm-san-sai-dol"),
        ("cm-big-c01", "cm-hang-dong-dol"),
        ("cm-mid-c01", "cm-mueang-chiang-mai-dol"),
    ):
        await upsert_device(driver, DeviceIn(device_id=device, office_id=office))


async def test_three_perfect_ratings_do_not_top_the_ranking(loaded: Driver) -> None:
    await _devices(loaded)
    now = int(time.time() * 1000)
    recent = now - 2 * DAY
    rows = (
        _ratings("cm-small-c01", [5, 5, 5], recent)
        + _ratings("cm-big-c01", [5] * 120 + [4] * 80, recent)
        + _ratings("cm-mid-c01", [3] * 10 + [2] * 30, recent, scale=3)
    )
    await write_batch(loaded, IngestBatch(events=rows))
    ranked = await ranking(loaded, now, 30, 10, 0)
    assert [r["office_id"] for r in ranked] == [
        "cm-hang-dong-dol",
        "cm-san-sai-dol",
        "cm-mueang-chiang-mai-dol",
    ]
    small = ranked[1]
    assert small["mean"] == 5.0
    assert small["count"] == 3
    assert small["shrunk_mean"] < ranked[0]["shrunk_mean"]
    big = ranked[0]
    assert big["mean"] == pytest.approx(4.6)
    low, high = big["interval_95"]
    assert low < 4.6 < high
    assert high - low < 0.4  # Wilson treats the share as Bernoulli: conservative
    assert small["interval_95"][0] < low  # far less certain
    mid = ranked[2]  # a 3-point scale: 3 -> 5, 2 -> 3
    assert mid["mean"] == pytest.approx((10 * 5 + 30 * 3) / 40)


async def test_card_opens_on_a_period_with_ratings(loaded: Driver) -> None:
    await _devices(loaded)
    now = int(time.time() * 1000)
    await write_batch(loaded, IngestBatch(events=_ratings("cm-small-c01", [4, 2], now - 20 * DAY)))
    sc = await office_scorecard(loaded, "cm-san-sai-dol", now)
    assert sc["opens_on"] == "30d"
    assert sc["last_rating_ms"] == now - 20 * DAY + 2
    by_period = {p["period"]: p for p in sc["periods"]}
    assert by_period["today"]["count"] == 0
    assert by_period["today"]["interval_95"] is None
    assert by_period["30d"]["count"] == 2
    assert by_period["30d"]["mean"] == 3.0
    empty = await office_scorecard(loaded, "cm-hang-dong-dol", now)
    assert empty["opens_on"] is None
    assert empty["last_rating_ms"] is None


def test_few_identical_ratings_get_a_wide_interval() -> None:
    one = card(1, 5.0, 3.0, None)
    assert one.high == 5.0
    assert one.low is not None
    assert one.low < 2.0
    assert one.shrunk == pytest.approx((5 + 10 * 3) / 11)
    three = card(3, 15.0, 3.0, None)
    assert three.low is not None
    assert 2.5 < three.low < 3.0
