"""``rating_agency_hours`` and ``rating_office_weeks`` (migration 10) equal sums computed here
from the ratings the test itself sent, after every kind of write: ingest (with a redelivered
batch), web ratings (the citizen form's rollup upsert), a device moving office, an office moving
agency, a rollup row deleted. The heat-map of whole agencies, of part of one and of one office,
and the ranking's per-office sums over periods with and without whole weeks, are checked against
the same independent sums, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta

import pytest

from collector.analytics.filters import DateRange
from collector.analytics.reports import heatmap_rows, office_rows
from collector.records import EventRow, IngestBatch
from collector.registry import DeviceIn, OfficeIn
from collector.registry_writes import upsert_device, upsert_office
from collector.storage import Driver, Row, open_driver
from collector.storage.ingest_store import write_batch
from tests.collector.conftest import make_settings
from tests.collector.managers.data import DAY, HOUR, START, THAI, Seqs, event, norm

A, B = "cm-mueang-chiang-mai-dopa", "cm-chom-thong-dopa"
WEB_UPSERT = (  # as collector/feedback/store.py rolls up a web rating
    "INSERT INTO rating_rollups (office_id, device_id, hour_ms, scale, score, verified, n) "
    "VALUES (?, ?, ?, ?, ?, 0, 1) ON CONFLICT (office_id, device_id, hour_ms, scale, score, "
    "verified) DO UPDATE SET n = rating_rollups.n + excluded.n"
)
Sums = tuple[int, float, int]
# A rating as the test knows it: (office at the time, device, ts_ms, score, scale, verified).
Rated = tuple[str, str, int, int, int, int]


class World:
    """The offices' agencies and every rating sent, kept by the test (never read back)."""

    def __init__(self, driver: Driver) -> None:
        self.driver = driver
        self.agency = {"o-a1": A, "o-a2": A, "o-b1": B, "o-x": ""}
        self.device_office = {"d-a1": "o-a1", "d-a2": "o-a2", "d-b1": "o-b1", "d-x": "o-x"}
        self.ratings: list[Rated] = []
        self.seqs = Seqs()
        self.rng = random.Random(29)

    async def office(self, office_id: str, agency: str) -> None:
        text = agency or "an agency nobody registered"  # resolves to no agency_id
        await upsert_office(
            self.driver, OfficeIn(office_id=office_id, name_th=office_id, name_en=office_id,
                                  agency=text)
        )  # fmt: skip
        self.agency[office_id] = agency

    async def device(self, device_id: str, office_id: str) -> None:
        await upsert_device(
            self.driver, DeviceIn(device_id=device_id, office_id=office_id, counter_label="1")
        )
        self.device_office[device_id] = office_id

    async def ingest(self, count: int) -> list[EventRow]:
        events = []
        for _ in range(count):
            device = self.rng.choice(sorted(self.device_office))
            ts = START + self.rng.randrange(20 * DAY)
            scale = self.rng.choice((3, 4, 5))
            score, verified = self.rng.randint(1, scale), self.rng.randint(0, 1)
            events.append(
                event(self.seqs, device, "rating", ts, score=score, scale=scale, verified=verified)
            )
            office = self.device_office[device]
            self.ratings.append((office, device, ts, score, scale, verified))
        await write_batch(self.driver, IngestBatch(events=events))
        return events

    async def web(self, count: int) -> None:
        async with self.driver.transaction() as tx:
            for _ in range(count):
                office = self.rng.choice(["o-a1", "o-b1"])
                ts = START + self.rng.randrange(3) * DAY + self.rng.randrange(DAY)
                score = self.rng.randint(1, 5)
                await tx.execute(WEB_UPSERT, office, "web:1", (ts // HOUR) * HOUR, 5, score)
                self.ratings.append((office, "web:1", ts, score, 5, 0))

    def expected(
        self, offices: set[str] | None = None, period: DateRange | None = None, by: str = "hour"
    ) -> dict[tuple[object, ...], tuple[int, float, int]]:
        """by "hour": (agency, Thai day number, Thai hour); "week": (office, Monday's date);
        "office": (office,) -> (n, sum of 1..5 values, verified)."""
        sums: dict[tuple[object, ...], list[float]] = {}
        for office, _device, ts, score, scale, verified in self.ratings:
            if offices is not None and office not in offices:
                continue
            if period is not None and not period.start_ms <= ts < period.end_ms:
                continue
            local = datetime.fromtimestamp(ts / 1000, THAI)
            day = (local.date() - date(1970, 1, 1)).days
            key: tuple[object, ...] = {
                "hour": (self.agency[office], day, local.hour),
                "week": (office, local.date() - timedelta(days=local.weekday())),
                "office": (office,),
            }[by]
            entry = sums.setdefault(key, [0, 0.0, 0])
            entry[0] += 1
            entry[1] += norm(score, scale)
            entry[2] += verified
        return {k: (int(n), total, int(v)) for k, (n, total, v) in sums.items()}


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    driver = await open_driver(make_settings(db_url))
    w = World(driver)
    try:
        for office, agency in sorted(w.agency.items()):
            await w.office(office, agency)
        for device, office in sorted(w.device_office.items()):
            await w.device(device, office)
        yield w
    finally:
        await driver.close()


def _monday(week: int) -> date:
    return date(1970, 1, 1) + timedelta(days=7 * week - 3)


def _same(got: dict[tuple[object, ...], Row], want: dict[tuple[object, ...], Sums]) -> None:
    assert set(got) == set(want)
    for key, (n, total, verified) in want.items():
        assert int(got[key]["n"]) == n, key
        assert float(got[key]["total"]) == pytest.approx(total), key
        assert int(got[key]["verified"]) == verified, key


async def _assert_table(w: World) -> None:
    rows = await w.driver.fetch("SELECT * FROM rating_agency_hours")
    got = {(r["agency_id"], int(r["day"]), int(r["hour"])): r for r in rows if int(r["n"]) != 0}
    _same(got, w.expected())
    rows = await w.driver.fetch("SELECT * FROM rating_office_weeks")
    weeks = {(r["office_id"], _monday(int(r["week"]))): r for r in rows if int(r["n"]) != 0}
    _same(weeks, w.expected(by="week"))


async def test_agency_hours_follow_every_write(world: World) -> None:
    w = world
    first = await w.ingest(300)
    await _assert_table(w)
    await write_batch(w.driver, IngestBatch(events=first[:120]))  # redelivered: counted once
    await w.web(60)  # repeats hours and scores: inserts and conflict updates
    await _assert_table(w)
    await w.device("d-a1", "o-b1")  # moves to agency B: its history stays with o-a1 (A)
    await w.ingest(200)
    await _assert_table(w)
    await w.office("o-a2", B)  # the office moves agency: its whole history goes along
    await _assert_table(w)
    await w.office("o-x", A)  # an office without agency joins one
    await w.office("o-new", "")  # a new office, no ratings yet
    await w.device("d-new", "o-new")
    await w.ingest(100)
    await _assert_table(w)
    async with w.driver.transaction() as tx:  # a rollup row deleted (the only delete path)
        victim = await tx.fetchrow(
            "SELECT * FROM rating_rollups WHERE device_id = 'web:1' ORDER BY hour_ms, score LIMIT 1"
        )
        assert victim is not None
        await tx.execute(
            "DELETE FROM rating_rollups WHERE office_id = ? AND device_id = 'web:1' AND "
            "hour_ms = ? AND scale = 5 AND score = ?",
            victim["office_id"],
            victim["hour_ms"],
            victim["score"],
        )
    gone = (victim["office_id"], "web:1", int(victim["hour_ms"]), int(victim["score"]))
    w.ratings = [r for r in w.ratings if (r[0], r[1], (r[2] // HOUR) * HOUR, r[3]) != gone]
    await _assert_table(w)


async def test_heatmap_of_whole_and_partial_agencies(world: World) -> None:
    w = world
    await w.ingest(400)
    await w.web(50)
    await w.device("d-a2", "o-a1")
    await w.ingest(100)
    start = datetime.fromtimestamp(START / 1000, THAI).date() + timedelta(days=2)
    period = DateRange(start, start + timedelta(days=9))  # cuts into the data on both sides
    scopes = [
        set(w.agency),  # ops: every agency, and the office without one
        {"o-a1", "o-a2"},  # agency A whole
        {"o-a1"},  # part of A
        {"o-a2", "o-b1"},  # part of A, B whole
    ]
    for scope in scopes:
        want: dict[tuple[int, int], list[float]] = {}
        for (_agency, day, hour), (n, total, _v) in w.expected(scope, period).items():
            weekday = (date(1970, 1, 1) + timedelta(days=day)).weekday()
            entry = want.setdefault((weekday, hour), [0, 0.0])
            entry[0] += n
            entry[1] += total
        got = {
            (int(r["weekday"]), int(r["hour"])): r
            for r in await heatmap_rows(w.driver, scope, period)
            if int(r["n"])
        }
        assert set(got) == set(want), scope
        for cell, (n, total) in want.items():
            assert int(got[cell]["n"]) == n, (scope, cell)
            assert float(got[cell]["total"]) == pytest.approx(total), (scope, cell)


async def test_office_sums_over_weeks_and_edge_days(world: World) -> None:
    w = world
    await w.ingest(400)
    await w.web(40)
    await w.office("o-b1", A)
    first = datetime.fromtimestamp(START / 1000, THAI).date()  # a Monday
    periods = [
        (first, first + timedelta(days=13)),  # two whole weeks
        (first + timedelta(days=3), first + timedelta(days=17)),  # edges on both sides
        (first + timedelta(days=1), first + timedelta(days=4)),  # inside one week
        (first - timedelta(days=2), first + timedelta(days=30)),  # past the data
    ]
    scope = set(w.agency)
    for start, end in periods:
        period = DateRange(start, end)
        got = {(r["office_id"],): r for r in await office_rows(w.driver, scope, period)}
        _same({k: r for k, r in got.items() if int(r["n"])}, w.expected(scope, period, "office"))
