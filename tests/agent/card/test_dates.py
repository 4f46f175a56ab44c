"""Buddhist-era dates: 00 parts, 99999999, validity and age bands."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.card.dates import CardDate, age_band, age_on, card_is_valid, parse_be_date
from agent.card.errors import CardDataError


def test_full_date_converts_be_to_ce() -> None:
    assert parse_be_date(b"25300415", "birth") == CardDate(1987, 4, 15)


def test_unknown_day_and_month_are_kept_as_unknown() -> None:
    assert parse_be_date(b"25300400", "birth") == CardDate(1987, 4, None)
    assert parse_be_date(b"25300000", "birth") == CardDate(1987, None, None)


def test_lifelong_expiry_is_none_and_always_valid() -> None:
    assert parse_be_date(b"99999999", "expiry") is None
    assert card_is_valid(None, date(2200, 1, 1))


@pytest.mark.parametrize(
    "raw", [b"2530041", b"25301315", b"25300231", b"2530AB15", b"25300015", b"        "]
)
def test_garbage_names_the_field_not_the_value(raw: bytes) -> None:
    with pytest.raises(CardDataError, match="expiry date") as info:
        parse_be_date(raw, "expiry date")
    assert raw.decode(errors="replace").strip() not in str(info.value) or not raw.strip()


def test_card_is_valid_through_its_expiry_day() -> None:
    expiry = parse_be_date(b"25691125", "expiry")  # 2026-11-25
    assert card_is_valid(expiry, date(2026, 11, 25))
    assert not card_is_valid(expiry, date(2026, 11, 26))


def test_partial_expiry_runs_to_its_latest_day() -> None:
    assert card_is_valid(parse_be_date(b"25691100", "e"), date(2026, 11, 30))
    assert not card_is_valid(parse_be_date(b"25691100", "e"), date(2026, 12, 1))
    assert card_is_valid(parse_be_date(b"25690000", "e"), date(2026, 12, 31))


def test_age_counts_completed_years() -> None:
    born = CardDate(1987, 4, 15)
    assert age_on(born, date(2027, 4, 14)) == 39
    assert age_on(born, date(2027, 4, 15)) == 40


def test_unknown_birthday_never_makes_anyone_older() -> None:
    # Born 1987, month unknown: on 2027-06-01 they may still be 39.
    assert age_on(CardDate(1987), date(2027, 6, 1)) == 39
    assert age_on(CardDate(1987), date(2027, 12, 31)) == 40
    assert age_on(CardDate(1987, 6), date(2027, 6, 29)) == 39


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (0, "0-19"),
        (19, "0-19"),
        (20, "20-29"),
        (29, "20-29"),
        (45, "40-49"),
        (69, "60-69"),
        (70, "70+"),
        (104, "70+"),
    ],
)
def test_age_bands_follow_the_protocol(age: int, band: str) -> None:
    assert age_band(age) == band


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_every_real_date_round_trips(day: date) -> None:
    raw = f"{day.year + 543:04d}{day.month:02d}{day.day:02d}".encode()
    assert parse_be_date(raw, "d") == CardDate(day.year, day.month, day.day)
