"""Check digit, masking, and the wrapper that never shows the id."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.card.citizen_id import (
    CitizenId,
    check_digit,
    is_valid_citizen_id,
    mask_citizen_id,
)

twelve_digits = st.text(alphabet="0123456789", min_size=12, max_size=12)


def test_documented_example() -> None:
    # THAI-ID-CARD.md section 8: 1*13 + 9*12 + 9*11 + 9*10 + 9*9 + 1*2 = 393 -> 3
    assert check_digit("199990000001") == 3
    assert is_valid_citizen_id("1999900000013")
    assert not is_valid_citizen_id("1999900000014")


@given(twelve_digits)
def test_appending_the_check_digit_always_validates(first: str) -> None:
    assert is_valid_citizen_id(first + str(check_digit(first)))


@given(twelve_digits, st.integers(min_value=0, max_value=9))
def test_any_other_last_digit_fails(first: str, last: int) -> None:
    if last != check_digit(first):
        assert not is_valid_citizen_id(first + str(last))


@pytest.mark.parametrize("value", ["", "123", "199990000001３", "19999000000１3", "abcdefghijklm"])
def test_malformed_ids_are_invalid(value: str) -> None:
    assert not is_valid_citizen_id(value)


def test_mask_keeps_only_first_and_last_digit() -> None:
    assert mask_citizen_id("1999900000013") == "1-xxxx-xxxxx-xx-3"
    assert mask_citizen_id("123") == "x" * 13


def test_wrapper_never_shows_the_id() -> None:
    cid = CitizenId("1999912345673")
    percent = "%s" % (cid,)  # noqa: UP031 - logging formats this way
    shown = [repr(cid), str(cid), f"{cid}", f"{cid!r}", percent, repr([cid]), repr({cid})]
    for text in shown:
        assert "1999912345673" not in text
        assert "1-xxxx-xxxxx-xx-3" in text
    assert cid.digits == "1999912345673"
    assert "1999912345673" not in str(ValueError(cid))
    with pytest.raises(TypeError, match="never serialised"):
        pickle.dumps(cid)
