"""``rating_office_days`` follows ``rating_rollups`` whoever writes them (ingest, the web form's
``web:<counter>`` rows, an upsert, a delete): compared with sums made here from the rollups."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest

from collector.storage import Driver, open_driver
from tests.collector.conftest import make_settings
from tests.collector.managers.data import HOUR, START, norm

UPSERT = (
    "INSERT INTO rating_rollups (office_id, device_id, hour_ms, scale, score, verified, n) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (office_id, device_id, hour_ms, scale, score, "
    "verified) DO UPDATE SET n = rating_rollups.n + excluded.n"
)


@pytest.fixture
async def driver(db_url: str) -> AsyncIterator[Driver]:
    d = await open_driver(make_settings(db_url))
    try:
        yield d
    finally:
        await d.close()


async def test_office_days_follow_the_rollups(driver: Driver) -> None:
    rng = random.Random(13)
    rows = [
        (
            rng.choice(["o-1", "o-2"]),
            rng.choice(["dev-1", "dev-2", "web:1"]),
            START + rng.randrange(72) * HOUR,
            scale,
            rng.randint(1, scale),
            rng.randint(0, 1),
            rng.randint(1, 4),
        )
        for scale in (3, 4, 5)
        for _ in range(150)
    ]
    async with driver.transaction() as tx:
        await tx.executemany(UPSERT, rows)  # many keys repeat: inserts and conflict updates
        await tx.execute("DELETE FROM rating_rollups WHERE device_id = 'dev-2' AND score = 1")
    rollups = await driver.fetch("SELECT * FROM rating_rollups")
    want: dict[tuple[str, int], list[float]] = {}
    for r in rollups:
        day = (int(r["hour_ms"]) + 7 * HOUR) // (24 * HOUR)
        entry = want.setdefault((r["office_id"], day), [0, 0.0, 0])
        entry[0] += int(r["n"])
        entry[1] += int(r["n"]) * norm(int(r["score"]), int(r["scale"]))
        entry[2] += int(r["n"]) if r["verified"] else 0
    got = {
        (r["office_id"], int(r["day"])): r
        for r in await driver.fetch("SELECT * FROM rating_office_days")
    }
    assert {key for key, g in got.items() if int(g["n"])} == set(want)
    for key, (n, total, verified) in want.items():
        assert int(got[key]["n"]) == n
        assert float(got[key]["total"]) == pytest.approx(total)
        assert int(got[key]["verified"]) == verified
