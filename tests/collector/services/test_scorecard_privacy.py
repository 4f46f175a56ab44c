"""Public scorecards: no card under k ratings (said so), only closed hours, hours not instants."""

from __future__ import annotations

import time

from collector.rating_privacy import HOUR_MS, floor_hour
from collector.records import IngestBatch
from collector.services.scorecard import office_scorecard, offices_below, ranking
from collector.services.scorecard_privacy import public_card, public_scorecard
from collector.storage import Driver
from collector.storage.ingest_store import write_batch
from tests.collector.services.test_scorecard import DAY, _devices, _ratings

K = 5


async def test_an_office_under_k_ratings_shows_no_figures_and_says_so(loaded: Driver) -> None:
    await _devices(loaded)
    now = int(time.time() * 1000)
    rows = _ratings("cm-small-c01", [5, 1, 5], now - 2 * DAY) + _ratings(
        "cm-big-c01", [4] * 6, now - 2 * DAY
    )
    await write_batch(loaded, IngestBatch(events=rows))
    until = floor_hour(now)
    exact = await office_scorecard(loaded, "cm-san-sai-dol", now, until_ms=until)
    assert next(p for p in exact["periods"] if p["period"] == "7d")["count"] == 3
    shown = public_scorecard(exact, K)
    assert shown["k_anonymity"] == K
    assert shown["opens_on"] is None
    assert shown["last_rating_ms"] is None
    for period in shown["periods"]:
        assert period["suppressed"] is True
        assert period["count"] is None
        assert period["mean"] is None
        assert period["interval_95"] is None
        assert period["shrunk_mean"] is None
    ranked = await ranking(loaded, now, 30, 10, 0, until_ms=until, min_count=K)
    assert [r["office_id"] for r in ranked] == ["cm-hang-dong-dol"]
    assert [public_card(r, K)["count"] for r in ranked] == [6]
    assert await offices_below(loaded, now, 30, K, until_ms=until) == 1


async def test_a_rating_of_the_running_hour_is_not_shown_yet(loaded: Driver) -> None:
    await _devices(loaded)
    now = int(time.time() * 1000)
    hour = floor_hour(now)
    earlier = _ratings("cm-big-c01", [4] * 6, hour - 3 * HOUR_MS)
    await write_batch(loaded, IngestBatch(events=earlier))
    before = public_scorecard(await office_scorecard(loaded, "cm-hang-dong-dol", now, hour), K)
    # a citizen rates now: the public card must not change until the hour has closed
    late = [row._replace(seq=99) for row in _ratings("cm-big-c01", [1], now)]
    await write_batch(loaded, IngestBatch(events=late))
    after = public_scorecard(await office_scorecard(loaded, "cm-hang-dong-dol", now, hour), K)
    assert after == before
    all_time = next(p for p in after["periods"] if p["period"] == "all")
    assert all_time["count"] == 6
    assert all_time["mean"] == 4.0
    assert all_time["last_rating_ms"] == hour - 3 * HOUR_MS  # rounded down to its hour
    assert after["last_rating_ms"] % HOUR_MS == 0
