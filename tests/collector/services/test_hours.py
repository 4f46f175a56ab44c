"""Open now / opens at in office-local time: across midnight, holidays and year ends."""

from __future__ import annotations

import datetime as dt

from collector.services.holidays import covered_years, holidays
from collector.services.hours import OFFICE_TZ, open_state
from collector.services.model import parse_span

WEEKDAYS_830_1630 = [(d, 510, 990) for d in range(5)]


def bkk(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=OFFICE_TZ)  # type: ignore[misc]


def test_holiday_file_covers_both_buddhist_era_years() -> None:
    assert covered_years() == {2026, 2027}  # B.E. 2569 and 2570
    assert holidays()[dt.date(2026, 4, 13)][1] == "Songkran"
    assert dt.date(2026, 12, 7) in holidays()  # substitute for 5 Dec 2026, a Saturday


def test_open_and_closing_time_in_office_local_time() -> None:
    # 03:00 UTC on Tuesday 3 Nov 2026 is 10:00 in Bangkok
    state = open_state(WEEKDAYS_830_1630, dt.datetime(2026, 11, 3, 3, 0, tzinfo=dt.UTC))
    assert state.open_now
    assert state.closes_at == bkk(2026, 11, 3, 16, 30)
    # 10:00 UTC Friday = 17:00 Bangkok: closed, opens Monday 08:30
    state = open_state(WEEKDAYS_830_1630, dt.datetime(2026, 11, 6, 10, 0, tzinfo=dt.UTC))
    assert not state.open_now
    assert state.opens_at == bkk(2026, 11, 9, 8, 30)


def test_span_across_midnight() -> None:
    opens, closes = parse_span("22:00-02:00")
    spans = [(4, opens, closes)]  # Friday night
    assert open_state(spans, bkk(2026, 11, 7, 1, 0)).open_now  # Saturday 01:00
    assert open_state(spans, bkk(2026, 11, 7, 1, 0)).closes_at == bkk(2026, 11, 7, 2, 0)
    assert not open_state(spans, bkk(2026, 11, 7, 2, 0)).open_now
    assert open_state(spans, bkk(2026, 11, 6, 21, 59)).opens_at == bkk(2026, 11, 6, 22, 0)


def test_holidays_and_year_end() -> None:
    # Thu 31 Dec 2026 and Fri 1 Jan 2027 are holidays: next opening Monday 4 Jan 2027
    state = open_state(WEEKDAYS_830_1630, bkk(2026, 12, 30, 17, 0))
    assert state.opens_at == bkk(2027, 1, 4, 8, 30)
    on_holiday = open_state(WEEKDAYS_830_1630, bkk(2026, 12, 31, 10, 0))
    assert not on_holiday.open_now
    assert on_holiday.holiday == ("วันสิ้นปี", "New Year's Eve")
    # Songkran 13-15 April 2026 (Mon-Wed): opens Thursday
    assert open_state(WEEKDAYS_830_1630, bkk(2026, 4, 12, 12, 0)).opens_at == bkk(
        2026, 4, 16, 8, 30
    )
    # a night span begun before a holiday still runs into it
    night = [(2, 1320, 120)]  # Wednesday 22:00 - Thursday 02:00
    assert open_state(night, bkk(2026, 12, 31, 1, 0)).open_now
    # beyond the file (2028) ordinary weekdays apply
    assert open_state(WEEKDAYS_830_1630, bkk(2027, 12, 31, 17, 0)).opens_at == bkk(
        2028, 1, 3, 8, 30
    )


def test_no_hours_never_opens() -> None:
    state = open_state([], bkk(2026, 11, 3, 10, 0))
    assert not state.open_now
    assert state.opens_at is None
