"""The canary: a synthetic citizen id that must appear nowhere the agent writes or says.

Logs are captured at DEBUG from every logger while the real path reads the canary card, with
and without faults; exceptions and reprs are checked; every file in the test's directories and
pcscd's log are scanned."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest

from agent.card import moi_layout
from agent.card.apdu import ApduChannel
from agent.card.citizen_id import CitizenId
from agent.card.errors import CardError
from agent.card.thai_id import outcome_from_fields, read_thai_id
from protocols import DayKey
from simulator.card.synthetic_person import SyntheticPerson
from simulator.card.virtual_card_os import CardBehaviour, ThaiIdCardOS
from tests.agent.card.conftest import CANARY_ID, RecordingListener, SourceFactory
from tests.agent.card.test_apdu import OsTransport
from tests.fixtures.pcsc import Pcscd, VirtualCards

BAD_CANARY = CANARY_ID[:-1] + str((int(CANARY_ID[-1]) + 1) % 10)  # fails the checksum
CANARY = SyntheticPerson(citizen_id=CANARY_ID, birth_date="25300415")


def leaks(text: str) -> bool:
    digits = "".join(ch for ch in text if ch.isdigit())
    return CANARY_ID in text or BAD_CANARY in text or CANARY_ID[1:12] in digits


def test_canary_is_nowhere(
    pcsc_source: SourceFactory,
    *,
    virtual_card: VirtualCards,
    listener: RecordingListener,
    pcscd: Pcscd,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert leaks(f"id {CANARY_ID}")
    assert leaks("1-9999-12345-67-3")
    caplog.set_level(logging.DEBUG)
    pcsc_source(demographics=True)
    cases = [
        (CANARY, {}, "inserted"),
        (CANARY, {"atr": "3b67", "chunk": 4}, "inserted"),
        (CANARY, {"atr": "3b68", "get_response_p2": 1}, "inserted"),
        (CANARY.with_changes(citizen_id=BAD_CANARY), {}, "fault"),
        (CANARY, {"disconnect_after": 3}, "fault"),
        (CANARY, {"sw_overrides": {"read@016F": b"\x6f\x00"}}, "fault"),
    ]
    for person, behaviour, outcome in cases:
        mark = listener.mark()
        card = virtual_card(person, **behaviour)
        listener.wait_for(outcome, start=mark)
        virtual_card.remove(card)
    assert [v for k, v in listener.events if k == "inserted"]
    said = [repr(v) for _, v in listener.events]
    said += [caplog.text]
    said += [r.getMessage() for r in caplog.records]
    said += [repr(r.args) for r in caplog.records]
    for text in said:
        assert not leaks(text), text

    written = [p for p in tmp_path.rglob("*") if p.is_file()] + [pcscd.log_path]
    for path in written:
        if path.exists():
            assert not leaks(path.read_text(errors="replace")), path


def test_exceptions_and_reprs_never_carry_the_id() -> None:
    raised: list[BaseException] = []
    with pytest.raises(CardError) as info:
        outcome_from_fields(
            CitizenId(BAD_CANARY), b"25790101", None, None, key=None, today=date(2026, 1, 1)
        )
    raised.append(info.value)
    for behaviour in (
        CardBehaviour(),
        CardBehaviour(sw_overrides={"read@016F": b"\x6b\x00"}),
        CardBehaviour(sw_overrides={"get_response": b"\x6f\x00"}),
    ):
        for person in (CANARY, CANARY.with_changes(citizen_id=BAD_CANARY)):
            card = ThaiIdCardOS(person, behaviour)
            channel = ApduChannel(OsTransport(card), card.getATR())
            try:
                outcome = read_thai_id(
                    channel, demographics=True, key=DayKey("cf2", b"k" * 32), today=date.today()
                )
                assert not leaks(repr(outcome))
            except CardError as exc:
                raised.append(exc)
    assert len(raised) >= 4
    for exc in raised:
        assert not leaks(str(exc))
        assert not leaks(repr(exc))
        assert not leaks(repr(exc.args))
    assert not leaks(repr(CANARY))
    assert not leaks(str(CitizenId(CANARY_ID)))
    card = ThaiIdCardOS(CANARY, CardBehaviour())
    assert card.person.moi_file()[moi_layout.CITIZEN_ID.offset :][:13] == CANARY_ID.encode()
