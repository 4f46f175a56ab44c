"""The forwarder against the fake 1111 centre (a real process) on SQLite and PostgreSQL: the centre
down, slow, answering 500 or 429, dropping the connection, accepting and then not answering; every
case arrives once, and only an answer from the centre marks it delivered."""

from __future__ import annotations

import logging

import httpx
import jsonschema
import pytest

from collector.cases import CaseContact, case_timeline
from collector.cases.forwarder import CaseForwarder
from collector.cases.payload import load_schema
from collector.cases.sealing import ContactSealer
from collector.cases.webhook import WebhookTransport
from collector.storage import Driver
from tests.collector.cases.helpers import T0, Clock, open_cases, webhook_settings
from tests.fixtures.centre import FakeCentre


def _forwarder(
    driver: Driver, centre: FakeCentre, sealer: ContactSealer, clock: Clock, **extra: object
) -> CaseForwarder:
    settings = webhook_settings(centre, **extra)
    return CaseForwarder(
        driver, settings, sealer, transport=WebhookTransport(settings), clock=clock
    )


async def _outbox(driver: Driver, case_id: str) -> dict[str, object]:
    row = await driver.fetchrow("SELECT * FROM case_outbox WHERE case_id = ?", case_id)
    assert row is not None
    return row


async def test_delivered_once_with_valid_signed_payload(
    driver: Driver,
    fake_centre: FakeCentre,
    contact_key: ContactSealer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    ids = await open_cases(driver, 3, contact=CaseContact("phone", "0812345678"))
    clock = Clock()
    forwarder = _forwarder(driver, fake_centre, contact_key, clock)
    try:
        assert await forwarder.tick() == 3
        assert await forwarder.tick() == 0
    finally:
        await forwarder.stop()
    got = fake_centre.received()
    assert sorted(got["accepted"]) == sorted(ids)
    assert got["duplicates"] == 0
    assert got["bad_signatures"] == 0
    for case_id in ids:
        row = await _outbox(driver, case_id)
        assert row["status"] == "delivered"
        assert row["transport"] == "webhook"
        case = await driver.fetchrow(
            "SELECT state, centre_ref FROM cases WHERE case_id = ?", case_id
        )
        assert case == {"state": "forwarded", "centre_ref": got["references"][case_id]}
    steps = await case_timeline(driver, "cm-0")
    assert [s.state for s in steps] == ["received", "forwarded"]
    assert "0812345678" not in caplog.text  # the contact went to the centre, not to the log
    assert "case opened" in caplog.text


async def test_500_then_retry_after_backoff(
    driver: Driver, fake_centre: FakeCentre, contact_key: ContactSealer
) -> None:
    [case_id] = await open_cases(driver, 1)
    clock = Clock()
    forwarder = _forwarder(driver, fake_centre, contact_key, clock)
    fake_centre.fail("500", count=1)
    try:
        assert await forwarder.tick() == 1
        row = await _outbox(driver, case_id)
        assert row["status"] == "pending"
        assert row["attempts"] == 1
        assert row["last_error"] == "http 500"
        # backoff 1 s × jitter [0.5, 1]: not due at once, due after a second
        assert T0 + 500 <= int(row["next_try_ms"]) <= T0 + 1000  # type: ignore[call-overload]
        assert await forwarder.tick() == 0
        clock.advance(1.0)
        assert await forwarder.tick() == 1
    finally:
        await forwarder.stop()
    assert (await _outbox(driver, case_id))["status"] == "delivered"
    assert fake_centre.received()["accepted"] == [case_id]


async def test_429_retry_after_is_a_floor(
    driver: Driver, fake_centre: FakeCentre, contact_key: ContactSealer
) -> None:
    [case_id] = await open_cases(driver, 1)
    clock = Clock()
    forwarder = _forwarder(driver, fake_centre, contact_key, clock)
    fake_centre.fail("429", count=1, retry_after=30)
    try:
        await forwarder.tick()
        row = await _outbox(driver, case_id)
        assert row["last_error"] == "http 429"
        assert row["next_try_ms"] == T0 + 30_000
        clock.advance(29)
        assert await forwarder.tick() == 0
        clock.advance(1)
        assert await forwarder.tick() == 1
    finally:
        await forwarder.stop()
    assert fake_centre.received()["accepted"] == [case_id]


async def test_accepted_then_timeout_is_not_delivered_and_repeat_is_idempotent(
    driver: Driver, fake_centre: FakeCentre, contact_key: ContactSealer
) -> None:
    """The centre records the case but its answer never arrives (slow past the timeout, or the
    connection dropped after it stored the case): the collector must not mark it delivered, and its
    retry with the same key is answered idempotently (the centre keeps one)."""
    ids = await open_cases(driver, 2)
    clock = Clock()
    forwarder = _forwarder(driver, fake_centre, contact_key, clock, cases_webhook_timeout_s=0.5)
    try:
        fake_centre.fail("slow", delay_s=1.5)
        await forwarder.tick()
        for case_id in ids:
            row = await _outbox(driver, case_id)
            assert row["status"] == "pending"
            assert str(row["last_error"]).startswith("timeout")
        fake_centre.fail("accept_drop")
        clock.advance(2)
        await forwarder.tick()
        for case_id in ids:
            row = await _outbox(driver, case_id)
            assert row["status"] == "pending"
            assert str(row["last_error"]).startswith("connection")
        fake_centre.fail("ok")
        clock.advance(4)
        assert await forwarder.tick() == 2
    finally:
        await forwarder.stop()
    got = fake_centre.received()
    assert sorted(got["accepted"]) == sorted(ids)  # each once
    assert got["duplicates"] == 4  # the accept_drop round and the final round were repeats
    for case_id in ids:
        assert (await _outbox(driver, case_id))["status"] == "delivered"


async def test_drop_and_centre_down(
    driver: Driver, fake_centre: FakeCentre, contact_key: ContactSealer
) -> None:
    [case_id] = await open_cases(driver, 1)
    clock = Clock()
    forwarder = _forwarder(driver, fake_centre, contact_key, clock)
    try:
        fake_centre.fail("drop", count=1)
        await forwarder.tick()
        assert str((await _outbox(driver, case_id))["last_error"]).startswith("connection")
        fake_centre.kill()  # the centre is down: connection refused
        clock.advance(10)
        await forwarder.tick()
        row = await _outbox(driver, case_id)
        assert row["attempts"] == 2
        assert row["status"] == "pending"
        fake_centre.start()
        clock.advance(10)
        assert await forwarder.tick() == 1
    finally:
        await forwarder.stop()
    assert fake_centre.received()["accepted"] == [case_id]
    assert (await _outbox(driver, case_id))["status"] == "delivered"


async def test_dead_letter_after_max_attempts(
    driver: Driver, fake_centre: FakeCentre, contact_key: ContactSealer
) -> None:
    [case_id] = await open_cases(driver, 1)
    clock = Clock()
    forwarder = _forwarder(driver, fake_centre, contact_key, clock, cases_max_attempts=3)
    fake_centre.fail("500")
    try:
        for _ in range(3):
            assert await forwarder.tick() == 1
            clock.advance(60)
        assert await forwarder.tick() == 0  # dead: no more attempts
    finally:
        await forwarder.stop()
    row = await _outbox(driver, case_id)
    assert row["status"] == "dead"
    assert row["attempts"] == 3
    assert row["dead_ms"] is not None
    assert fake_centre.received()["accepted"] == []


async def test_payload_on_the_wire_matches_schema(
    driver: Driver, fake_centre: FakeCentre, contact_key: ContactSealer
) -> None:
    ids = await open_cases(driver, 2, contact=CaseContact("email", "somsak.test@example.invalid"))
    ids += await open_cases(driver, 1, prefix="nc")
    forwarder = _forwarder(driver, fake_centre, contact_key, Clock())
    try:
        await forwarder.tick()
    finally:
        await forwarder.stop()
    got = fake_centre.received(payloads=True)
    assert sorted(got["payloads"]) == sorted(ids)
    schema = load_schema()
    for case_id, payload in got["payloads"].items():
        jsonschema.validate(payload, schema, format_checker=jsonschema.FormatChecker())
        assert payload["case_id"] == case_id
        assert payload["idempotency_key"] == case_id
    with_contact = [p for p in got["payloads"].values() if "contact" in p]
    assert len(with_contact) == 2
    assert {p["contact"]["value"] for p in with_contact} == {"somsak.test@example.invalid"}
    async with httpx.AsyncClient() as client:
        page = (await client.get(fake_centre.url + "/", timeout=10)).text
    assert "สำนักงานเขตบางรัก" in page
