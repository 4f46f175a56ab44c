"""The APDU state machine against the virtual card's OS directly (no PC/SC): fast checks of
chaining, 6Cxx, the GET RESPONSE P2 quirk and status-word errors. The same cases also run
through pcscd + vpcd + pyscard in test_pcsc_reader.py."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.card import moi_layout
from agent.card.apdu import ApduChannel, get_response_p2_for, read_command
from agent.card.card_text import decode_card_text, split_name
from agent.card.errors import CardDataError, CardStatusError, NotThaiCardError
from simulator.card.synthetic_person import SyntheticPerson
from simulator.card.virtual_card_os import ATRS, CardBehaviour, ThaiIdCardOS


class OsTransport:
    """Feeds APDUs straight into the virtual card's OS."""

    def __init__(self, card: ThaiIdCardOS) -> None:
        self.card = card
        self.sent: list[bytes] = []

    def transmit(self, apdu: bytes) -> bytes:
        self.sent.append(apdu)
        return bytes(self.card.execute(apdu))


def channel_for(**behaviour: object) -> tuple[ApduChannel, ThaiIdCardOS, OsTransport]:
    card = ThaiIdCardOS(SyntheticPerson(), CardBehaviour(**behaviour))  # type: ignore[arg-type]
    transport = OsTransport(card)
    channel = ApduChannel(transport, card.getATR())
    channel.select(moi_layout.MOI_AID)
    return channel, card, transport


def read_id(channel: ApduChannel) -> bytes:
    return channel.read(moi_layout.CITIZEN_ID.offset, moi_layout.CITIZEN_ID.length)


@pytest.mark.parametrize(("atr", "p2"), [("3b67", 1), ("3b68", 0), ("3b78", 0), ("3b79", 0)])
def test_p2_follows_the_atr(atr: str, p2: int) -> None:
    assert get_response_p2_for(ATRS[atr]) == p2
    channel, card, transport = channel_for(atr=atr)
    assert read_id(channel) == b"1999900000013"
    assert transport.sent[-1][:4] == bytes([0x00, 0xC0, 0x00, p2])
    assert card.refused_p2 == []


def test_first_refused_get_response_reissues_the_read_with_the_other_p2() -> None:
    channel, card, transport = channel_for(atr="3b68", get_response_p2=1)
    assert read_id(channel) == b"1999900000013"
    assert card.refused_p2 == [0]
    reads = [a for a in transport.sent if a[1] == 0xB0]
    assert len(reads) == 2  # the pending response was lost: READ again
    # The P2 that worked is kept: the next read goes straight through.
    assert channel.read(moi_layout.EXPIRY_DATE.offset, 8) == b"25790101"
    assert card.refused_p2 == [0]
    assert channel.p2 == 1


def test_fallback_is_tried_only_once() -> None:
    channel, _, _ = channel_for(atr="3b68", sw_overrides={"get_response": b"\x6a\x86"})
    with pytest.raises(CardStatusError, match="GET RESPONSE: card answered status 6A 86"):
        read_id(channel)


def test_61xx_chaining_uses_sw2_as_le() -> None:
    channel, _, transport = channel_for(chunk=4)
    assert read_id(channel) == b"1999900000013"
    les = [a[4] for a in transport.sent if a[1] == 0xC0]
    assert les == [13, 9, 5, 1]


def test_6cxx_reissues_get_response_with_the_right_le() -> None:
    channel, _, transport = channel_for(wrong_le=True)
    assert read_id(channel) == b"1999900000013"
    les = [a[4] for a in transport.sent if a[1] == 0xC0]
    assert les == [16, 13]


def test_data_with_9000_straight_from_the_read_is_accepted() -> None:
    channel, _, transport = channel_for(direct_data=True)
    assert read_id(channel) == b"1999900000013"
    assert all(a[1] != 0xC0 for a in transport.sent)


def test_card_without_the_applet_is_not_a_thai_card() -> None:
    card = ThaiIdCardOS(SyntheticPerson(), CardBehaviour(no_applet=True))
    with pytest.raises(NotThaiCardError, match="6A 82"):
        ApduChannel(OsTransport(card), card.getATR()).select(moi_layout.MOI_AID)


@pytest.mark.parametrize(
    ("where", "sw", "message"),
    [
        ("select", "6F00", "SELECT: card answered status 6F 00"),
        ("read", "6B00", "READ 0x0004\\+13: card answered status 6B 00"),
        ("read@0004", "6400", "card answered status 64 00"),
    ],
)
def test_unexpected_status_words_raise_typed_errors(where: str, sw: str, message: str) -> None:
    card = ThaiIdCardOS(SyntheticPerson(), CardBehaviour(sw_overrides={where: bytes.fromhex(sw)}))
    channel = ApduChannel(OsTransport(card), card.getATR())

    def select_and_read() -> None:
        channel.select(moi_layout.MOI_AID)
        read_id(channel)

    with pytest.raises(CardStatusError, match=message) as info:
        select_and_read()
    assert info.value.code == "card_error"


def test_short_answer_is_a_data_error() -> None:
    class Truncating(OsTransport):
        def transmit(self, apdu: bytes) -> bytes:
            answer = super().transmit(apdu)
            return answer[:5] + answer[-2:] if apdu[1] == 0xC0 else answer

    card = ThaiIdCardOS(SyntheticPerson(), CardBehaviour())
    channel = ApduChannel(Truncating(card), card.getATR())
    channel.select(moi_layout.MOI_AID)
    with pytest.raises(CardDataError, match="returned 5 bytes, expected 13"):
        read_id(channel)


def test_read_command_layout() -> None:
    assert read_command(0x016F, 8) == bytes.fromhex("80B0016F020008")
    with pytest.raises(ValueError, match="offset"):
        read_command(0x8000, 8)


def test_thai_names_on_the_virtual_card_decode_as_tis620() -> None:
    channel, _, _ = channel_for()
    raw = channel.read(moi_layout.NAME_TH.offset, moi_layout.NAME_TH.length)
    assert split_name(decode_card_text(raw)) == ("นาย", "สมชาย", "", "ทดสอบ")


@settings(max_examples=150, deadline=None)
@given(
    offset=st.integers(min_value=0, max_value=moi_layout.FILE_SIZE - 1),
    length=st.integers(min_value=1, max_value=255),
    chunk=st.one_of(st.none(), st.integers(min_value=1, max_value=64)),
    wrong_le=st.booleans(),
    direct=st.booleans(),
    atr=st.sampled_from(sorted(ATRS)),
    p2_quirk=st.booleans(),
)
def test_any_read_returns_exactly_the_file_bytes(
    *,
    offset: int,
    length: int,
    chunk: int | None,
    wrong_le: bool,
    direct: bool,
    atr: str,
    p2_quirk: bool,
) -> None:
    """Whatever mix of chaining, 6Cxx, direct data and P2 the card uses."""
    length = min(length, moi_layout.FILE_SIZE - offset)
    p2 = None if not p2_quirk else 1 - get_response_p2_for(ATRS[atr])
    channel, card, _ = channel_for(
        atr=atr, chunk=chunk, wrong_le=wrong_le, direct_data=direct, get_response_p2=p2
    )
    assert channel.read(offset, length) == card.person.moi_file()[offset : offset + length]
    assert len(card.refused_p2) == (1 if p2_quirk and not direct else 0)
