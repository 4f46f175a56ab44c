"""The storage suite, run on SQLite and on PostgreSQL alike: one batch = one commit."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from collector.audit import CLI_ACTOR
from collector.errors import ConflictError
from collector.ingest.decoder import build_batch
from collector.records import RawMessage
from collector.registry import DeviceIn, OfficeIn, quarantine
from collector.registry_writes import put_device, put_office
from collector.storage import Driver, open_driver
from collector.storage.ingest_store import write_batch
from collector.storage.schema import MIGRATIONS, migrate, schema_version
from protocols import Channel, topic
from tests.collector.conftest import make_settings
from tests.collector.devices import dropped, heartbeat, location, rating, rejected_event, state

DEV = "cm-test-c01"


def raw(device: str, channel: Channel, payload: bytes, mid: int = 1) -> RawMessage:
    return RawMessage(topic(device, channel), payload, mid, 1, int(time.time() * 1000), 1)


def events(device: str, *seqs: int) -> list[RawMessage]:
    return [raw(device, Channel.EVENTS, rating(device, s), i) for i, s in enumerate(seqs)]


@pytest.fixture
async def driver(db_url: str) -> AsyncIterator[Driver]:
    d = await open_driver(make_settings(db_url))
    yield d
    await d.close()


async def count(driver: Driver, sql: str, *args: object) -> int:
    return int(await driver.fetchval(sql, *args) or 0)


async def test_migrations_are_recorded_and_idempotent(driver: Driver) -> None:
    assert await schema_version(driver) == MIGRATIONS[-1][0]
    assert await migrate(driver) == []


async def test_events_are_stored_once_by_id(driver: Driver) -> None:
    msgs = events(DEV, 1, 2, 3)
    first = await write_batch(driver, build_batch(msgs))
    again = await write_batch(driver, build_batch(msgs + msgs))
    assert (first.stored, first.duplicates) == (3, 0)
    assert (again.stored, again.duplicates) == (0, 6)
    assert await count(driver, "SELECT count(*) FROM events") == 3
    assert first.acked == {DEV: 3}
    assert again.acked == {DEV: 3}


async def test_gap_holds_the_ack_until_late_events_fill_it(driver: Driver) -> None:
    r1 = await write_batch(driver, build_batch(events(DEV, 1, 2, 5)))
    assert r1.acked[DEV] == 2
    assert r1.gaps_opened == {DEV: [(3, 4)]}
    row = await driver.fetchrow("SELECT missing, max_seq FROM device_seq WHERE device_id = ?", DEV)
    assert row is not None
    assert (row["missing"], row["max_seq"]) == (2, 5)
    r2 = await write_batch(driver, build_batch(events(DEV, 4)))
    assert r2.acked[DEV] == 2
    r3 = await write_batch(driver, build_batch(events(DEV, 3)))
    assert r3.acked[DEV] == 5
    assert await count(driver, "SELECT count(*) FROM seq_gaps WHERE status = 'open'") == 0


async def test_outbox_dropped_closes_the_gap_as_lost(driver: Driver) -> None:
    await write_batch(driver, build_batch(events(DEV, 1, 2)))
    msgs = [raw(DEV, Channel.EVENTS, dropped(DEV, 6, 3, 5))]
    result = await write_batch(driver, build_batch(msgs))
    assert result.acked[DEV] == 6
    assert result.lost == {DEV: [(3, 5)]}
    row = await driver.fetchrow("SELECT lost, missing FROM device_seq WHERE device_id = ?", DEV)
    assert row is not None
    assert (row["lost"], row["missing"]) == (3, 0)
    lost = await driver.fetch("SELECT from_seq, to_seq FROM seq_gaps WHERE status = 'lost'")
    assert [(r["from_seq"], r["to_seq"]) for r in lost] == [(3, 5)]


async def test_rejected_event_is_dead_lettered_and_counts_for_its_seq(driver: Driver) -> None:
    msgs = [*events(DEV, 1), raw(DEV, Channel.EVENTS, rejected_event(DEV, 2)), *events(DEV, 3)]
    result = await write_batch(driver, build_batch(msgs))
    assert result.acked[DEV] == 3
    assert result.stored == 2
    assert result.dead_lettered == 1
    letter = await driver.fetchrow("SELECT code, seq, device_id, payload FROM dead_letters")
    assert letter is not None
    assert (letter["code"], letter["seq"], letter["device_id"]) == ("unknown_type", 2, DEV)
    assert bytes(letter["payload"]) == msgs[1].payload
    # Redelivered: the same rejected event is not dead-lettered twice.
    again = await write_batch(driver, build_batch([msgs[1]]))
    assert again.dead_lettered == 0


async def test_invalid_messages_are_dead_lettered_with_raw_bytes(driver: Driver) -> None:
    bad = [
        RawMessage("cf/v1/devices/cm-test-c01/events", b"\xff\xfe", 1, 1, 0, 1),
        RawMessage("cf/v1/devices/cm-test-c01/events", b"[]", 2, 1, 0, 1),
        RawMessage("not/a/topic", b"{}", 3, 1, 0, 1),
        RawMessage(topic("cm-other-c01", Channel.EVENTS), rating(DEV, 1), 4, 1, 0, 1),
    ]
    result = await write_batch(driver, build_batch(bad))
    assert result.dead_lettered == 4
    assert result.stored == 0
    assert result.acked == {}
    codes = sorted(r["code"] for r in await driver.fetch("SELECT code FROM dead_letters"))
    assert codes == ["bad_topic", "device_mismatch", "not_object", "not_utf8"]


async def test_fleet_state_keeps_the_last_received_heartbeat_and_state(driver: Driver) -> None:
    # Latest = last received: the device's own ts orders nothing (issue 13 item 1).
    older_ts = heartbeat(DEV, outbox_depth=1)
    await asyncio.sleep(0.01)  # times travel in milliseconds
    newer_ts = heartbeat(DEV, outbox_depth=5, reader="absent")
    first = raw(DEV, Channel.HEARTBEAT, older_ts)
    last = raw(DEV, Channel.HEARTBEAT, newer_ts)._replace(received_ms=first.received_ms + 10)
    await write_batch(driver, build_batch([last]))
    await write_batch(driver, build_batch([first]))  # arrives late (another worker): ignored
    await write_batch(driver, build_batch([raw(DEV, Channel.STATE, state(DEV, "offline"))]))
    row = await driver.fetchrow("SELECT * FROM fleet_state WHERE device_id = ?", DEV)
    assert row is not None
    assert row["outbox_depth"] == 5
    assert '"absent"' in row["heartbeat"]
    assert row["state"] == "offline"
    assert row["messages"] == 3


async def test_locations_are_kept_once(driver: Driver) -> None:
    msg = raw(DEV, Channel.LOCATION, location(DEV, 18.79, 98.98))
    r = await write_batch(driver, build_batch([msg, msg]))
    assert r.location_devices == {DEV}
    assert await count(driver, "SELECT count(*) FROM locations") == 1


def _anywhere(_office_id: str, _province: str | None) -> bool:
    return True


async def test_registry_and_quarantine(driver: Driver) -> None:
    office = OfficeIn(office_id="cm-mueang-dol", name_th="ที่ว่าการอำเภอเมือง", name_en="Mueang")
    assert await put_office(driver, CLI_ACTOR, office, _anywhere) == (True, True)
    assert await put_office(driver, CLI_ACTOR, office, _anywhere) == (False, False)
    with pytest.raises(ConflictError, match="office_id"):
        await put_device(
            driver, CLI_ACTOR, DeviceIn(device_id="cm-x-c01", office_id="cm-nowhere"), _anywhere
        )
    await put_device(
        driver, CLI_ACTOR, DeviceIn(device_id=DEV, office_id="cm-mueang-dol"), _anywhere
    )
    await write_batch(driver, build_batch(events(DEV, 1) + events("cm-stranger-c09", 1, 2)))
    q = await quarantine(driver, limit=10, offset=0)
    assert [(r["device_id"], r["acked_seq"]) for r in q] == [("cm-stranger-c09", 2)]


async def test_acked_seq_never_decreases_across_batches(driver: Driver) -> None:
    last = 0
    for seqs in ([2], [1], [4, 5], [3], [5, 1], [7], [6]):
        result = await write_batch(driver, build_batch(events(DEV, *seqs)))
        assert result.acked[DEV] >= last
        last = result.acked[DEV]
    assert last == 7


async def test_empty_retained_message_is_a_clear_not_a_dead_letter(driver: Driver) -> None:
    result = await write_batch(driver, build_batch([raw(DEV, Channel.STATE, b"")]))
    assert result.dead_lettered == 0
    empty_event = await write_batch(driver, build_batch([raw(DEV, Channel.EVENTS, b"")]))
    assert empty_event.dead_lettered == 1


_EVENT_TRIGGER = {  # a stand-in for a pre-aggregate kept by a trigger on events
    "sqlite": [
        "CREATE TABLE event_echo (id TEXT)",
        "CREATE TRIGGER event_echo AFTER INSERT ON events "
        "BEGIN INSERT INTO event_echo VALUES (new.id); INSERT INTO event_echo VALUES (new.id); END",
    ],
    "postgres": [
        "CREATE TABLE event_echo (id TEXT)",
        "CREATE FUNCTION event_echo() RETURNS trigger AS $$ BEGIN "
        "INSERT INTO event_echo VALUES (new.id), (new.id); RETURN NULL; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER event_echo AFTER INSERT ON events FOR EACH ROW "
        "EXECUTE FUNCTION event_echo()",
    ],
}


async def test_new_and_redelivered_events_are_counted_and_rolled_up_once(driver: Driver) -> None:
    """Stored counts and rollups count each event once, in a batch mixing new and redelivered
    events, even with a trigger on ``events`` writing rows of its own."""
    async with driver.transaction() as tx:
        for sql in _EVENT_TRIGGER[driver.dialect]:
            await tx.execute(sql)
    first = events(DEV, 1, 2)
    await write_batch(driver, build_batch(first))
    mixed = await write_batch(driver, build_batch([*first, *events(DEV, 3, 4, 5), first[0]]))
    assert (mixed.stored, mixed.duplicates) == (3, 3)
    assert await count(driver, "SELECT count(*) FROM events") == 5
    assert await count(driver, "SELECT sum(n) FROM rating_rollups WHERE device_id = ?", DEV) == 5
    assert await count(driver, "SELECT count(*) FROM events WHERE rollup_mark = 0") == 0


@pytest.mark.parametrize(("configured", "pragma"), [(None, 2), ("FULL", 2), ("NORMAL", 1)])
async def test_sqlite_commits_are_fsynced_unless_told_otherwise(
    tmp_path: Path, configured: str | None, pragma: int
) -> None:
    """A PUBACK and a device's ack follow the commit: by default (FULL) that commit is on disk,
    so a power loss cannot take back what a device was told is stored."""
    extra = {} if configured is None else {"sqlite_synchronous": configured}
    driver = await open_driver(make_settings(str(tmp_path / "c.db"), **extra))
    try:
        async with driver.transaction() as tx:
            rows = await tx.fetch("PRAGMA synchronous")
        assert [r["synchronous"] for r in rows] == [pragma]
    finally:
        await driver.close()
