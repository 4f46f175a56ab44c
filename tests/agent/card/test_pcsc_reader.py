"""The real path: PcscCardSource -> pyscard -> pcscd -> vpcd -> our virtual Thai ID card."""

from __future__ import annotations

import logging
import time
from datetime import date
from pathlib import Path

import pytest
from smartcard import scard

from agent.card import moi_layout
from agent.card.day_key_store import office_today
from agent.card.interface import CardRead
from protocols import day_key, visitor_pseudonym
from simulator.card.synthetic_person import SyntheticPerson
from tests.agent.card.conftest import PEPPER, RecordingListener, SourceFactory, day_keys_for
from tests.fixtures.pcsc import Pcscd, VirtualCards

ID_AND_EXPIRY = [(moi_layout.CITIZEN_ID.offset, 13), (moi_layout.EXPIRY_DATE.offset, 8)]
DEMOGRAPHICS = [(moi_layout.BIRTH_DATE.offset, 8), (moi_layout.SEX.offset, 1)]


def pseudonym(citizen_id: str = "1999900000013", day: date | None = None) -> str:
    return visitor_pseudonym(day_key(PEPPER, day or office_today()), citizen_id)


def insert_and_read(
    virtual_card: VirtualCards,
    listener: RecordingListener,
    person: SyntheticPerson | None = None,
    **behaviour: object,
) -> CardRead:
    mark = listener.mark()
    card = virtual_card(person, **behaviour)
    read: CardRead = listener.wait_for("inserted", start=mark)
    virtual_card.remove(card)
    listener.wait_for("removed", start=mark)
    return read


def assert_recovers(virtual_card: VirtualCards, listener: RecordingListener) -> None:
    """After a fault, the next good card is read without anyone restarting anything."""
    read = insert_and_read(virtual_card, listener)
    assert read.visitor == pseudonym()


@pytest.mark.parametrize("atr", ["3b67", "3b68", "3b78", "3b79", "3b7996"])
def test_every_atr_variant_reads(
    pcsc_source: SourceFactory,
    virtual_card: VirtualCards,
    listener: RecordingListener,
    atr: str,
) -> None:
    pcsc_source()
    mark = listener.mark()
    card = virtual_card(atr=atr)
    read = listener.wait_for("inserted", start=mark)
    assert read == CardRead(visitor=pseudonym(), card_valid=True, age_band=None, sex=None)
    # Only the citizen id and the expiry were read; GET RESPONSE used the ATR's P2 directly.
    assert card.os.reads == ID_AND_EXPIRY
    assert card.os.refused_p2 == []
    p2s = {c[3] for c in card.os.commands if c[1] == 0xC0}
    assert p2s == ({1} if atr == "3b67" else {0})
    virtual_card.remove(card)
    listener.wait_for("removed", start=mark)
    assert listener.kinds(mark) == ["inserted", "removed"]


def test_get_response_p2_fallback_on_the_real_path(
    pcsc_source: SourceFactory, virtual_card: VirtualCards, listener: RecordingListener
) -> None:
    pcsc_source()
    mark = listener.mark()
    # A "3B 68" card that wants P2=01, and a "3B 67" card that wants P2=00.
    for atr, wanted in (("3b68", 1), ("3b67", 0)):
        card = virtual_card(atr=atr, get_response_p2=wanted)
        assert listener.wait_for("inserted", start=mark).visitor == pseudonym()
        assert card.os.refused_p2 == [1 - wanted]  # refused once, then kept
        assert card.os.reads == [ID_AND_EXPIRY[0], *ID_AND_EXPIRY]
        virtual_card.remove(card)
        listener.wait_for("removed", start=mark)
        mark = listener.mark()


@pytest.mark.parametrize(
    "behaviour",
    [{"chunk": 3}, {"wrong_le": True}, {"direct_data": True}, {"chunk": 5, "wrong_le": True}],
    ids=["61xx-chaining", "6Cxx", "data-with-9000", "chaining-and-6Cxx"],
)
def test_status_word_handling_on_the_real_path(
    pcsc_source: SourceFactory,
    virtual_card: VirtualCards,
    listener: RecordingListener,
    behaviour: dict[str, object],
) -> None:
    pcsc_source(demographics=True)
    read = insert_and_read(virtual_card, listener, **behaviour)
    assert read.visitor == pseudonym()
    assert read.card_valid is True


def test_demographics_on_reads_birth_date_and_sex(
    pcsc_source: SourceFactory, virtual_card: VirtualCards, listener: RecordingListener
) -> None:
    pcsc_source(demographics=True, today=lambda: date(2026, 11, 25))
    person = SyntheticPerson(birth_date="25300000", sex="2")  # born 1987, month/day unknown
    mark = listener.mark()
    card = virtual_card(person)
    read = listener.wait_for("inserted", start=mark)
    assert read.age_band == "30-39"  # 38 or 39 in November 2026
    assert read.sex == "F"
    assert card.os.reads == ID_AND_EXPIRY + DEMOGRAPHICS
    never = {moi_layout.PHOTO.offset, moi_layout.ADDRESS.offset, moi_layout.NAME_TH.offset}
    assert never.isdisjoint(offset for offset, _ in card.os.reads)


def test_demographics_off_never_touches_birth_date_or_sex(
    pcsc_source: SourceFactory, virtual_card: VirtualCards, listener: RecordingListener
) -> None:
    pcsc_source(demographics=False)
    mark = listener.mark()
    card = virtual_card(SyntheticPerson(birth_date="25100101", sex="2"))
    read = listener.wait_for("inserted", start=mark)
    assert (read.age_band, read.sex) == (None, None)
    assert card.os.reads == ID_AND_EXPIRY


@pytest.mark.parametrize(
    ("expiry", "valid"),
    [
        ("25691124", False),
        ("25691125", True),
        ("25691100", True),
        ("25681231", False),
        ("99999999", True),
        ("2569XX25", None),
    ],
)
def test_expiry_decides_card_valid(
    pcsc_source: SourceFactory,
    virtual_card: VirtualCards,
    listener: RecordingListener,
    expiry: str,
    valid: bool | None,
) -> None:
    pcsc_source(today=lambda: date(2026, 11, 25), day_keys=day_keys_for(date(2026, 11, 25)))
    read = insert_and_read(virtual_card, listener, SyntheticPerson(expiry_date=expiry))
    assert read.card_valid is valid
    assert read.visitor == pseudonym(day=date(2026, 11, 25))


def test_age_bands_at_the_office_date(
    pcsc_source: SourceFactory, virtual_card: VirtualCards, listener: RecordingListener
) -> None:
    today = date(2026, 11, 25)
    pcsc_source(demographics=True, today=lambda: today, day_keys=day_keys_for(today))
    cases = [
        ("25501126", "0-19"),
        ("25491125", "20-29"),
        ("24991125", "70+"),
        ("24991126", "60-69"),
    ]
    for birth, band in cases:
        read = insert_and_read(virtual_card, listener, SyntheticPerson(birth_date=birth))
        assert read.age_band == band, birth


@pytest.mark.parametrize(
    ("person", "behaviour", "code"),
    [
        (None, {"no_applet": True}, "not_thai_card"),
        (None, {"atr": "other", "no_applet": True}, "not_thai_card"),
        (SyntheticPerson(citizen_id="1999900000014"), {}, "bad_checksum"),
        (None, {"sw_overrides": {"read": b"\x6f\x00"}}, "card_error"),
        (None, {"sw_overrides": {"select": b"\x6f\x00"}}, "card_error"),
        (None, {"sw_overrides": {"read@016F": b"\x6b\x00"}}, "card_error"),
    ],
    ids=["no-applet", "foreign-card", "bad-checksum", "read-6F00", "select-6F00", "expiry-6B00"],
)
def test_card_faults_then_recovery(
    pcsc_source: SourceFactory,
    *,
    virtual_card: VirtualCards,
    listener: RecordingListener,
    person: SyntheticPerson | None,
    behaviour: dict[str, object],
    code: str,
) -> None:
    pcsc_source()
    mark = listener.mark()
    card = virtual_card(person, **behaviour)
    fault = listener.wait_fault(code, start=mark)
    assert len(fault.detail) <= 200
    virtual_card.remove(card)
    assert "inserted" not in listener.kinds(mark)
    assert "removed" not in listener.kinds(mark)  # no session had started
    assert_recovers(virtual_card, listener)


def test_mute_card_is_reported_and_the_next_card_reads(
    pcsc_source: SourceFactory, virtual_card: VirtualCards, listener: RecordingListener
) -> None:
    pcsc_source(read_timeout_s=1.0)
    mark = listener.mark()
    card = virtual_card(mute_after=1)  # answers SELECT, then silence
    fault = listener.wait_fault("mute_card", timeout_s=5, start=mark)
    assert "no answer" in fault.detail
    virtual_card.remove(card)
    assert_recovers(virtual_card, listener)
    assert listener.faults(mark) == ["mute_card"]  # the stuck read's failure is not reported


@pytest.mark.parametrize("after", [0, 2, 4])
def test_card_pulled_mid_read(
    pcsc_source: SourceFactory,
    virtual_card: VirtualCards,
    listener: RecordingListener,
    pcscd: Pcscd,
    after: int,
) -> None:
    pcsc_source()
    mark = listener.mark()
    card = virtual_card(disconnect_after=after)
    assert card.wait_removed(5)
    pcscd.wait_card(0, present=False)
    listener.wait_fault("read_interrupted", start=mark)
    assert "inserted" not in listener.kinds(mark)
    assert_recovers(virtual_card, listener)


def test_no_day_key_gives_null_visitor_and_a_fault(
    pcsc_source: SourceFactory, virtual_card: VirtualCards, listener: RecordingListener
) -> None:
    pcsc_source(day_keys=day_keys_for(date(2020, 1, 1)))
    mark = listener.mark()
    read = insert_and_read(virtual_card, listener)
    assert read == CardRead(visitor=None, card_valid=True)
    fault = listener.wait_fault("no_day_key", start=mark)
    assert office_today().isoformat() in fault.detail


def test_card_already_in_the_reader_at_start_is_read(
    pcsc_source: SourceFactory,
    virtual_card: VirtualCards,
    listener: RecordingListener,
    pcscd: Pcscd,
) -> None:
    virtual_card()
    pcscd.wait_card(0, present=True)
    pcsc_source()
    assert listener.wait_for("inserted").visitor == pseudonym()
    assert listener.wait_for("status") == "present"


def test_card_as_a_process(
    pcsc_source: SourceFactory,
    virtual_card: VirtualCards,
    listener: RecordingListener,
    pcscd: Pcscd,
) -> None:
    pcsc_source(
        demographics=True,
        today=lambda: date(2026, 11, 25),
        day_keys=day_keys_for(date(2026, 11, 25)),
    )
    mark = listener.mark()
    proc = virtual_card.process(
        "--atr",
        "3b67",
        "--citizen-id",
        "1999900000021",
        "--birth-date",
        "24800000",
        "--sex",
        "2",
        "--expiry-date",
        "99999999",
        "--apdu-delay-ms",
        "5",
    )
    read = listener.wait_for("inserted", start=mark)
    assert read == CardRead(
        visitor=pseudonym("1999900000021", date(2026, 11, 25)),
        card_valid=True,
        age_band="70+",
        sex="F",
    )
    assert "removed after 9 APDUs" in proc.remove()
    listener.wait_for("removed", start=mark)


def test_pcscd_restart_and_reader_recovery(
    pcsc_source: SourceFactory,
    virtual_card: VirtualCards,
    listener: RecordingListener,
    pcscd: Pcscd,
) -> None:
    """The reader goes away with pcscd (on a Pi: unplugged, or pcscd restarted by systemd)."""
    if not pcscd.started_here:
        pytest.fail("this test stops pcscd: stop the pcscd that runs outside the tests first")
    source = pcsc_source()
    listener.wait_status("present")
    mark = listener.mark()
    card = virtual_card()
    listener.wait_for("inserted", start=mark)
    pcscd.stop()
    fault = listener.wait_fault("reader_lost", start=mark)
    assert "pcscd" in fault.detail
    listener.wait_for("removed", start=mark)  # the session ends with the reader
    listener.wait_status("error", start=mark)
    assert source.status == "error"
    assert card.wait_removed(5)
    back = listener.mark()
    pcscd.start()
    listener.wait_status("present", start=back)
    assert_recovers(virtual_card, listener)
    assert listener.faults(mark) == ["reader_lost"]


def test_pcscd_restarted_while_idle(
    pcsc_source: SourceFactory,
    virtual_card: VirtualCards,
    listener: RecordingListener,
    pcscd: Pcscd,
) -> None:
    source = pcsc_source()
    listener.wait_for("status")
    mark = listener.mark()
    pcscd.restart()
    assert_recovers(virtual_card, listener)
    assert source.status == "present"
    assert listener.mark() > mark


def test_configured_reader_missing_is_reported(
    pcsc_source: SourceFactory, listener: RecordingListener, tmp_path: Path
) -> None:
    source = pcsc_source(reader="Reader That Is Not Here", reader_absent_fault_s=0.5)
    assert listener.wait_for("status") == "absent"
    fault = listener.wait_fault("reader_absent", timeout_s=5)
    assert (
        fault.detail == "no card reader matching 'Reader That Is Not Here' for 0.5 s: plug one in"
    )
    assert source.status == "absent"


def test_usb_reader_that_pcscd_does_not_list_is_reader_not_enumerated(
    pcsc_source: SourceFactory, listener: RecordingListener, tmp_path: Path
) -> None:
    # A sysfs tree as the kernel shows an attached CCID reader (interface class 0b).
    sysfs = tmp_path / "sys-bus-usb-devices"
    (sysfs / "1-1.3:1.0").mkdir(parents=True)
    (sysfs / "1-1.3:1.0" / "bInterfaceClass").write_text("0b\n")
    (sysfs / "1-1.4:1.0").mkdir()
    (sysfs / "1-1.4:1.0" / "bInterfaceClass").write_text("03\n")
    pcsc_source(reader="ACS ACR39U", reader_absent_fault_s=0.5, sysfs_usb=sysfs)
    fault = listener.wait_fault("reader_not_enumerated", timeout_s=5)
    assert "1-1.3:1.0" in fault.detail
    assert "replug" in fault.detail
    assert listener.faults().count("reader_not_enumerated") == 1


class ExclusiveHolder:
    """Another PC/SC client holding the card EXCLUSIVE (a desktop app, a second agent...)."""

    def __init__(self, reader: str) -> None:
        self.scard = scard
        hr, self.context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        assert hr == scard.SCARD_S_SUCCESS
        hr, self.card, _ = scard.SCardConnect(
            self.context, reader, scard.SCARD_SHARE_EXCLUSIVE, scard.SCARD_PROTOCOL_T0
        )
        assert hr == scard.SCARD_S_SUCCESS, scard.SCardGetErrorMessage(hr)

    def release(self) -> None:
        self.scard.SCardDisconnect(self.card, self.scard.SCARD_LEAVE_CARD)
        self.scard.SCardReleaseContext(self.context)


def test_settle_and_one_retry_when_the_first_connect_fails(
    pcsc_source: SourceFactory,
    *,
    virtual_card: VirtualCards,
    listener: RecordingListener,
    pcscd: Pcscd,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="agent.card.read_job")
    pcsc_source(settle_delay_s=0.5)
    listener.wait_status("present")
    mark = listener.mark()
    virtual_card()
    pcscd.wait_card(0, present=True)
    holder = ExclusiveHolder(pcscd.reader_name(0))
    deadline = time.monotonic() + 10
    while "retrying once" not in caplog.text:  # the first attempt met the exclusive holder
        assert time.monotonic() < deadline, "the first attempt did not fail within 10 s"
        time.sleep(0.02)
    holder.release()
    read = listener.wait_for("inserted", start=mark)  # the retry (after 1.0 s) reads it
    assert read.visitor == pseudonym()
    assert listener.faults(mark) == []


def test_card_held_by_another_client_is_read_interrupted(
    pcsc_source: SourceFactory,
    *,
    virtual_card: VirtualCards,
    listener: RecordingListener,
    pcscd: Pcscd,
) -> None:
    pcsc_source(settle_delay_s=0.2)
    listener.wait_status("present")
    mark = listener.mark()
    card = virtual_card()
    pcscd.wait_card(0, present=True)
    holder = ExclusiveHolder(pcscd.reader_name(0))
    try:
        fault = listener.wait_fault("read_interrupted", start=mark)
    finally:
        holder.release()
    assert "connect" in fault.detail
    virtual_card.remove(card)
    assert_recovers(virtual_card, listener)
