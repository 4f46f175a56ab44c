"""TIS-620 with the cp874 fallback: 0xA0 (NBSP in cp874) must not be lost silently."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.card.card_text import decode_card_text, encode_card_text, split_name

THAI = "".join(chr(c) for c in range(0x0E01, 0x0E3B)) + "".join(
    chr(c) for c in range(0x0E3F, 0x0E5C)
)


def test_plain_tis620_field_with_padding() -> None:
    raw = "นาย#สมชาย##ทดสอบ".encode("tis-620") + b"   \x00\x00"
    assert split_name(decode_card_text(raw)) == ("นาย", "สมชาย", "", "ทดสอบ")


def test_a0_falls_back_to_cp874_no_break_space() -> None:
    raw = "ถนน".encode("tis-620") + b"\xa0" + "สุขุมวิท".encode("tis-620")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("tis-620")
    assert decode_card_text(raw) == "ถนน\u00a0สุขุมวิท"


def test_bytes_no_codec_knows_stay_visible() -> None:
    raw = "ซอย".encode("tis-620") + b"\xdb"  # unassigned in TIS-620 and cp874
    text = decode_card_text(raw)
    assert text.startswith("ซอย")
    assert "\ufffd" in text  # replaced, not dropped


def test_encoding_pads_and_refuses_overflow() -> None:
    assert encode_card_text("ก", 4) == b"\xa1   "
    assert encode_card_text("ก\u00a0ข", 3) == b"\xa1\xa0\xa2"
    with pytest.raises(ValueError, match="holds 2"):
        encode_card_text("กขค", 2)


@given(st.text(alphabet=THAI + "#/ 0123456789abcXYZ", max_size=60))
def test_round_trip(text: str) -> None:
    assert decode_card_text(encode_card_text(text, 200)) == text.rstrip(" ")
