"""Ingest bounds on SQLite and PostgreSQL (issue 13): device clocks, seq jumps and gaps, dead-letter
size/quota/retention, retained replays. Each test failed on the code before the fix."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from collector.fleet import _latest_locations
from collector.ingest.decoder import build_batch
from collector.limits import IngestLimits
from collector.pins import recompute_office_pin
from collector.records import RawMessage
from collector.registry import DeviceIn, OfficeIn
from collector.registry_writes import upsert_device, upsert_office
from collector.storage import Driver, open_driver
from collector.storage.dead_letters import prune
from collector.storage.ingest_store import write_batch
from protocols import Channel
from tests.collector.abuse import DAY, at, fix_at, heartbeat_at, rating_at, received
from tests.collector.conftest import make_settings
from tests.collector.devices import dropped, rating, rejected_event, state

DEV = "cm-bounds-c01"
DAY_MS = 86_400_000


@pytest.fixture
async def driver(db_url: str) -> AsyncIterator[Driver]:
    d = await open_driver(make_settings(db_url))
    yield d
    await d.close()


async def one(driver: Driver, sql: str, *args: object) -> dict[str, object]:
    row = await driver.fetchrow(sql, *args)
    assert row is not None
    return row


def evs(device: str, *seqs: int) -> list[RawMessage]:
    return [received(device, Channel.EVENTS, rating(device, s)) for s in seqs]


# Item 1: device clocks ------------------------------------------------------------------------
async def test_a_future_heartbeat_does_not_freeze_the_stored_one(driver: Driver) -> None:
    future = received(DEV, Channel.HEARTBEAT, heartbeat_at(DEV, at(DAY * 365), outbox_depth=7))
    await write_batch(driver, build_batch([future]))
    first = await one(driver, "SELECT heartbeat_ts_ms FROM fleet_state WHERE device_id = ?", DEV)
    assert first["heartbeat_ts_ms"] == future.received_ms  # clamped to its receipt
    later = received(
        DEV, Channel.HEARTBEAT, heartbeat_at(DEV, at(0 * DAY), outbox_depth=2), after_ms=5
    )
    await write_batch(driver, build_batch([later]))
    row = await one(driver, "SELECT * FROM fleet_state WHERE device_id = ?", DEV)
    assert row["outbox_depth"] == 2  # the last received wins
    assert row["heartbeat_received_ms"] == later.received_ms
    # the honest ts is kept (within a minute of its receipt); the future one was clamped
    assert abs(int(str(row["heartbeat_ts_ms"])) - later.received_ms) < 60_000


async def test_a_future_event_is_clamped_to_receive_time_and_flagged(driver: Driver) -> None:
    far = at(DAY * 3650)
    msg = received(DEV, Channel.EVENTS, rating_at(DEV, 1, far))
    result = await write_batch(driver, build_batch([msg]))
    assert result.acked == {DEV: 1}
    row = await one(driver, "SELECT ts_ms, device_ts_ms FROM events WHERE device_id = ?", DEV)
    assert row["ts_ms"] == msg.received_ms  # never dated into a future period
    assert row["device_ts_ms"] == int(far.timestamp() * 1000)
    # within the skew: untouched
    near = received(DEV, Channel.EVENTS, rating_at(DEV, 2, at(timedelta(minutes=2))))
    await write_batch(driver, build_batch([near]))
    row = await one(driver, "SELECT ts_ms, device_ts_ms FROM events WHERE seq = 2")
    assert row["device_ts_ms"] is None
    assert int(row["ts_ms"]) > near.received_ms  # type: ignore[call-overload]


async def test_an_event_older_than_the_bound_is_dead_lettered_but_counted(driver: Driver) -> None:
    old = received(DEV, Channel.EVENTS, rating_at(DEV, 2, at(-DAY * 40)))
    outbox = received(DEV, Channel.EVENTS, rating_at(DEV, 1, at(-DAY * 20)))  # days old: fine
    result = await write_batch(driver, build_batch([outbox, old]))
    assert result.acked == {DEV: 2}  # the outbox never blocks
    assert result.stored == 1
    letter = await one(driver, "SELECT code, reason, seq FROM dead_letters")
    assert (letter["code"], letter["seq"]) == ("ts_too_old", 2)
    assert "30 days" in str(letter["reason"])


async def test_future_gps_fixes_do_not_stay_in_the_pin_window(driver: Driver) -> None:
    await upsert_office(driver, OfficeIn(office_id="cm-pin-dol", name_th="ก", name_en="Pin"))
    await upsert_device(driver, DeviceIn(device_id=DEV, office_id="cm-pin-dol"))
    # 500 fixes dated a year ahead at A, then 500 honest fixes at B received after them.
    wrong = [
        received(DEV, Channel.LOCATION, fix_at(DEV, at(DAY * 365), 13.0, 100.0)) for _ in range(500)
    ]
    right = [
        received(DEV, Channel.LOCATION, fix_at(DEV, at(0 * DAY), 18.79, 98.98), after_ms=10)
        for _ in range(500)
    ]
    await write_batch(driver, build_batch(wrong))
    await write_batch(driver, build_batch(right))
    latest = await _latest_locations(driver)
    assert round(float(latest[DEV]["lat"]), 2) == 18.79  # type: ignore[arg-type]
    await recompute_office_pin(driver, "cm-pin-dol", make_settings("x.db"))
    pin = await one(driver, "SELECT lat, source FROM office_pins WHERE office_id = 'cm-pin-dol'")
    assert (round(float(pin["lat"]), 2), pin["source"]) == (18.79, "gps")  # type: ignore[arg-type]
    clamped = await one(
        driver, "SELECT count(*) AS n FROM locations WHERE device_ts_ms IS NOT NULL"
    )
    assert clamped["n"] == 500


# Item 2: seq jumps, gap rows, overflow --------------------------------------------------------
async def test_a_seq_jump_beyond_the_cap_is_dead_lettered_and_not_counted(driver: Driver) -> None:
    limits = IngestLimits(seq_max_jump=1000)
    batch = build_batch(evs(DEV, 1, 2, 2**62))
    result = await write_batch(driver, batch, limits)
    assert result.acked == {DEV: 2}  # acked_seq keeps its meaning: 1..2 are in
    assert result.stored == 2
    assert [(d.code, d.seq) for d in result.refused_letters] == [("seq_jump", 2**62)]
    seq = await one(driver, "SELECT max_seq, missing FROM device_seq WHERE device_id = ?", DEV)
    assert (seq["max_seq"], seq["missing"]) == (2, 0)
    assert await driver.fetchval("SELECT count(*) FROM seq_gaps") == 0
    letter = await one(driver, "SELECT code, seq, payload FROM dead_letters")
    assert letter["code"] == "seq_jump"
    assert json.loads(bytes(letter["payload"]))["seq"] == 2**62  # type: ignore[arg-type]
    # within the cap: a gap, as before
    r = await write_batch(driver, build_batch(evs(DEV, 900), limits), limits)
    assert r.acked == {DEV: 2}
    assert r.gaps_opened == {DEV: [(3, 899)]}


async def test_alternating_seqs_cannot_make_a_gap_row_per_event(driver: Driver) -> None:
    limits = IngestLimits(seq_max_open_gaps=5)
    odd = list(range(1, 400, 2))
    result = await write_batch(driver, build_batch(evs(DEV, *odd)), limits)
    assert await driver.fetchval("SELECT count(*) FROM seq_gaps WHERE status = 'open'") == 5
    assert {d.code for d in result.refused_letters} == {"seq_gaps_full"}
    assert result.acked == {DEV: 1}
    # An honest device resends everything above acked_seq: the gaps fill and all is counted.
    await write_batch(driver, build_batch(evs(DEV, *range(2, 400)), limits), limits)
    again = await write_batch(driver, build_batch(evs(DEV, *range(2, 400)), limits), limits)
    assert again.acked == {DEV: 399}
    assert await driver.fetchval("SELECT count(*) FROM seq_gaps WHERE status = 'open'") == 0


async def test_an_absurd_dropped_range_is_refused_but_its_own_seq_counts(driver: Driver) -> None:
    limits = IngestLimits(seq_max_jump=1000)
    msg = received(DEV, Channel.EVENTS, dropped(DEV, 1, 5, 2**62))
    result = await write_batch(driver, build_batch([msg]), limits)
    assert result.acked == {DEV: 1}
    assert result.lost == {}
    assert [d.code for d in result.refused_letters] == ["seq_jump"]
    assert await driver.fetchval("SELECT count(*) FROM events") == 0


# Item 3: dead letters at rest -----------------------------------------------------------------
async def test_dead_letters_are_truncated_hashed_and_throttled(driver: Driver) -> None:
    limits = IngestLimits(dead_letter_payload_max=64, dead_letter_quota=10)
    junk = [received(DEV, Channel.HEARTBEAT, b"x" * 5000 + bytes([i])) for i in range(25)]
    junk.append(received(DEV, Channel.EVENTS, rejected_event(DEV, 1)))  # over quota, still counted
    result = await write_batch(driver, build_batch(junk, limits), limits)
    assert result.dead_lettered == 10
    assert result.dead_letters_suppressed == {DEV: 16}
    assert result.acked == {DEV: 1}
    row = await one(driver, "SELECT payload, payload_sha256, payload_bytes FROM dead_letters")
    assert len(bytes(row["payload"])) == 64  # type: ignore[arg-type]
    assert row["payload_bytes"] == 5001
    assert row["payload_sha256"] == hashlib.sha256(junk[0].payload).hexdigest()
    fleet = await one(driver, "SELECT dead_letters_suppressed FROM fleet_state")
    assert fleet["dead_letters_suppressed"] == 16
    # Another device has its own quota.
    other = [received("cm-bounds-c02", Channel.HEARTBEAT, b"y") for _ in range(3)]
    assert (await write_batch(driver, build_batch(other), limits)).dead_lettered == 3


async def test_dead_letters_older_than_the_retention_are_deleted(driver: Driver) -> None:
    old = received(DEV, Channel.HEARTBEAT, b"old")._replace(
        received_ms=int(time.time() * 1000) - 10 * DAY_MS
    )
    new = received(DEV, Channel.HEARTBEAT, b"new")
    await write_batch(driver, build_batch([old, new]))
    assert await prune(driver, int(time.time() * 1000) - 5 * DAY_MS) == 1
    left = await driver.fetch("SELECT payload FROM dead_letters")
    assert [bytes(r["payload"]) for r in left] == [b"new"]


# Item 6: retained replays ---------------------------------------------------------------------
async def test_a_retained_replay_is_not_a_sign_of_life(driver: Driver) -> None:
    replay = [
        received(DEV, Channel.STATE, state(DEV, "online"), retain=True),
        received(DEV, Channel.HEARTBEAT, heartbeat_at(DEV, at(0 * DAY)), retain=True),
        received(DEV, Channel.LOCATION, fix_at(DEV, at(0 * DAY), 18.8, 98.9), retain=True),
    ]
    batch = build_batch(replay)
    assert batch.seen == {}
    assert batch.retained_ignored == {"state": 1, "heartbeat": 1}
    await write_batch(driver, batch)
    assert await driver.fetchval("SELECT count(*) FROM fleet_state") == 0  # not seen, not online
    assert await driver.fetchval("SELECT count(*) FROM locations") == 1  # the fix itself is kept
    live = build_batch([received(DEV, Channel.STATE, state(DEV, "online"))])
    assert set(live.seen) == {DEV}
