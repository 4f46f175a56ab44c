"""cf2 day keys on the collector: the pepper file's checks, delivery over a real broker in the
office's local time with resends until the device acknowledges, and the ``no_day_key`` alert.
Storage runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from collector.daykeys.delivery import REDACTED, DayKeyDelivery
from collector.daykeys.pepper import load_pepper
from collector.errors import ConfigError
from collector.fleet import ALERT_KINDS, compute_alerts
from collector.ingest.subscriber import wait_ready
from collector.runtime import Collector
from protocols import (
    Channel,
    CommandResult,
    CommandResultBody,
    DayKeySet,
    Fault,
    FaultBody,
    decode,
    encode,
    new_message_id,
    now,
    topic,
)
from protocols.pseudonym import cf2_day_key
from tests.collector.conftest import make_settings
from tests.collector.devices import MqttPeer, eventually
from tests.fixtures.broker import MosquittoBroker

PEPPER = bytes(range(50, 82))
BANGKOK = ZoneInfo("Asia/Bangkok")
DEVICES = {"cm-dk-a-c01": "cm-dk-a-dol", "cm-dk-b-c01": "cm-dk-b-dol"}


def _pepper_file(
    tmp_path: Path, mode: int = 0o600, data: bytes = PEPPER.hex().encode(), name: str = "pepper"
) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    os.chmod(path, mode)
    return path


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_a_pepper_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = _pepper_file(tmp_path, mode)
    with pytest.raises(ConfigError, match=rf"CF_PEPPER_FILE: .* mode {mode:04o}: .* chmod 600"):
        load_pepper(path)


def test_pepper_file_checks(tmp_path: Path) -> None:
    assert load_pepper(_pepper_file(tmp_path)) == PEPPER
    assert load_pepper(_pepper_file(tmp_path, 0o400, PEPPER, "raw")) == PEPPER  # raw bytes too
    with pytest.raises(ConfigError, match=r"CF_PEPPER_FILE: .* holds 16 bytes"):
        load_pepper(_pepper_file(tmp_path, 0o600, b"x" * 16, "short"))
    with pytest.raises(ConfigError, match="CF_PEPPER_FILE: cannot open"):
        load_pepper(tmp_path / "absent")


async def test_the_collector_refuses_to_start_with_a_readable_pepper(
    tmp_path: Path, sqlite_url: str
) -> None:
    collector = Collector(make_settings(sqlite_url, pepper_file=_pepper_file(tmp_path, 0o644)))
    with pytest.raises(ConfigError, match="CF_PEPPER_FILE"):
        await collector.start()
    await collector.stop()


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
async def collector(mosquitto: MosquittoBroker, db_url: str) -> AsyncIterator[Collector]:
    running = Collector(make_settings(db_url, mosquitto, day_key_resend_s=600))
    await running.start()
    assert running.subscriber is not None
    assert await wait_ready(running.subscriber, 10)
    for device, office in DEVICES.items():
        async with running.driver.transaction() as tx:
            await tx.execute(
                "INSERT INTO offices (office_id, name_th, name_en, created_ms, updated_ms) "
                "VALUES (?, ?, ?, 0, 0)",
                office,
                "สำนักงานทดสอบ",
                "Test office",
            )
            await tx.execute(
                "INSERT INTO devices (device_id, office_id, created_ms, updated_ms) "
                "VALUES (?, ?, 0, 0)",
                device,
                office,
            )
    yield running
    await running.stop()


@pytest.fixture
async def device_peer(mosquitto: MosquittoBroker) -> AsyncIterator[MqttPeer]:
    peer = MqttPeer(mosquitto.url)
    for device in DEVICES:
        peer.watch_commands(device)
    for device in DEVICES:  # proves the subscriptions are in place before anything is sent
        peer.publish(device, Channel.COMMANDS, b"probe")
    await eventually(lambda: peer.commands.count(b"probe") == len(DEVICES))
    peer.commands.clear()
    yield peer
    peer.close()


def _sent(peer: MqttPeer) -> list[DayKeySet]:
    out = []
    for payload in peer.commands:
        device = json.loads(payload)["device"]
        message = decode(topic(device, Channel.COMMANDS), payload)
        assert isinstance(message, DayKeySet)
        out.append(message)
    return out


async def test_keys_are_delivered_in_office_time_and_resent_until_acknowledged(
    collector: Collector, device_peer: MqttPeer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert collector.subscriber is not None
    # 18:00 UTC on 2 December is 01:00 on 3 December in Bangkok: the office's today is the 3rd.
    clock = Clock(datetime(2026, 12, 2, 18, 0, tzinfo=UTC))
    delivery = DayKeyDelivery(
        collector.driver,
        collector.settings,
        PEPPER,
        publish=collector.subscriber.publish,
        connected=lambda: True,
        clock=clock,
    )
    assert await delivery.tick() == 4
    await eventually(lambda: len(device_peer.commands) == 4)
    first = _sent(device_peer)
    days = {date(2026, 12, 3), date(2026, 12, 4)}
    for command in first:
        office = DEVICES[command.device]
        body = command.body
        assert (body.scheme, body.office) == ("cf2", office)
        assert body.key == cf2_day_key(PEPPER, office, body.date).hex()
        end = datetime.combine(body.date + timedelta(days=1), datetime.min.time(), BANGKOK)
        assert body.expires == end
    assert {(c.device, c.body.date) for c in first} == {(d, day) for d in DEVICES for day in days}

    listed = await collector.driver.fetch("SELECT type, body FROM commands")
    assert {r["type"] for r in listed} == {"day_key.set"}
    assert all(json.loads(r["body"])["key"] == REDACTED for r in listed)

    assert await delivery.tick() == 0  # not yet due for a resend
    clock.at += timedelta(seconds=601)
    device_peer.commands.clear()
    assert await delivery.tick() == 4
    await eventually(lambda: len(device_peer.commands) == 4)
    assert {c.id for c in _sent(device_peer)} == {c.id for c in first}  # same ids: a retry

    # Device a answers both of its commands; b stays silent.
    answered = [c for c in first if c.device == "cm-dk-a-c01"]
    for command in answered:
        result = CommandResult(
            v=1,
            id=new_message_id(),
            device=command.device,
            ts=now(),
            body=CommandResultBody(command=command.id, ok=True, detail="stored"),
        )
        device_peer.publish(command.device, Channel.COMMAND_RESULTS, encode(result))

    async def results_stored() -> bool:
        rows = await collector.driver.fetch(
            "SELECT count(*) AS n FROM commands WHERE result_ok = 1"
        )
        return int(rows[0]["n"]) == 2

    await eventually(results_stored)
    clock.at += timedelta(seconds=601)
    device_peer.commands.clear()
    assert await delivery.tick() == 2
    await eventually(lambda: len(device_peer.commands) == 2)
    assert {c.device for c in _sent(device_peer)} == {"cm-dk-b-c01"}
    rows = await collector.driver.fetch(
        "SELECT device_id, day, attempts, acked_ms FROM day_key_deliveries ORDER BY device_id, day"
    )
    assert [(r["device_id"], r["acked_ms"] is not None) for r in rows] == [
        ("cm-dk-a-c01", True),
        ("cm-dk-a-c01", True),
        ("cm-dk-b-c01", False),
        ("cm-dk-b-c01", False),
    ]
    assert [r["attempts"] for r in rows] == [2, 2, 3, 3]
    for command in first:
        assert command.body.key not in caplog.text


async def test_a_device_that_reaches_a_day_without_its_key_raises_an_alert(
    collector: Collector, device_peer: MqttPeer
) -> None:
    assert "no_day_key" in ALERT_KINDS
    device = "cm-dk-a-c01"
    fault = Fault(
        v=1,
        id=new_message_id(),
        device=device,
        ts=now(),
        seq=1,
        body=FaultBody(component="reader", code="no_day_key", detail="no day key for today"),
    )
    device_peer.publish(device, Channel.EVENTS, encode(fault))

    async def alerts_of(kind: str) -> list[str]:
        alerts = await compute_alerts(collector.driver, collector.settings)
        return [a.device_id or "" for a in alerts if a.kind == kind]

    assert await eventually(lambda: alerts_of("no_day_key")) == [device]
    # Today's key delivered and acknowledged after the fault: the alert clears.
    today = datetime.now(BANGKOK).date().isoformat()
    now_ms = int(time.time() * 1000)
    async with collector.driver.transaction() as tx:
        await tx.execute(
            "INSERT INTO day_key_deliveries (device_id, office_id, day, scheme, command_id, "
            "expires_ms, first_sent_ms, sent_ms, attempts, acked_ms) "
            "VALUES (?, ?, ?, 'cf2', ?, 0, ?, ?, 1, ?)",
            device,
            DEVICES[device],
            today,
            str(new_message_id()),
            now_ms,
            now_ms,
            now_ms + 1000,
        )
    assert await alerts_of("no_day_key") == []
    # Device b: today's key went out before midnight, is still unanswered, and b is alive.
    other = "cm-dk-b-c01"
    midnight = datetime.combine(datetime.now(BANGKOK).date(), datetime.min.time(), BANGKOK)
    before = int(midnight.timestamp() * 1000) - 3_600_000
    async with collector.driver.transaction() as tx:
        await tx.execute(
            "INSERT INTO day_key_deliveries (device_id, office_id, day, scheme, command_id, "
            "expires_ms, first_sent_ms, sent_ms, attempts) VALUES (?, ?, ?, 'cf2', ?, 0, ?, ?, 3)",
            other,
            DEVICES[other],
            today,
            str(new_message_id()),
            before,
            now_ms,
        )
        await tx.execute(
            "INSERT INTO fleet_state (device_id, first_seen_ms, last_seen_ms) VALUES (?, ?, ?)",
            other,
            now_ms,
            now_ms,
        )
    assert await alerts_of("no_day_key") == [other]
