"""The view's state machine (clear on removal, on a failed read, after the timeout), the
officer-facing values, and the settings' refusals."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from agent.card.details import cut_photo, expiry_state
from agent.config_model import FieldError
from agent.officer_view.card_state import CardState
from agent.officer_view.display import be_date, card_fields, full_name
from agent.officer_view.pages import all_strings_present
from agent.officer_view.settings import OfficerViewSettings
from tests.agent.officer_view.card_io import details_of
from tests.agent.officer_view.rig import CANARY


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_details_dropped_on_removal_failure_and_timeout() -> None:
    clock = Clock()
    state = CardState(clear_after_s=60, clock=clock)
    assert state.snapshot().state == "idle"
    state.details_reading()
    state.details_read(details_of(CANARY))
    shown = state.snapshot()
    assert shown.state == "shown"
    assert shown.details is not None
    state.details_cleared()
    assert state.snapshot().details is None
    assert state.snapshot().state == "idle"
    # pulled out during the read: the removal arrives while reading
    state.details_reading()
    state.details_cleared()
    assert (state.snapshot().state, state.snapshot().fault) == ("failed", "read_interrupted")
    # left in the reader too long
    state.details_reading()
    state.details_read(details_of(CANARY))
    clock.now += 59
    assert state.snapshot().state == "shown"
    clock.now += 1
    gone = state.snapshot()
    assert (gone.state, gone.details) == ("timed_out", None)
    assert gone.version > shown.version


def test_repr_never_shows_the_card() -> None:
    details = details_of(CANARY)
    assert CANARY.citizen_id not in repr(details)
    assert CANARY.name_th[3] not in repr(details)
    assert "1-xxxx-xxxxx-xx-5" in repr(details)


def test_dates_names_and_checks() -> None:
    assert be_date("25300415", "th") == "15 เม.ย. 2530"
    assert be_date("25300415", "en") == "15 Apr 2530 BE (1987)"
    assert be_date("25300400", "th") == "เม.ย. 2530"
    assert be_date("25300000", "en") == "2530 BE (1987)"
    assert be_date("99999999", "th") == "ตลอดชีพ"
    assert be_date("    ", "en") == "Unreadable"
    assert full_name(("นาย", "สมชาย", "", "ทดสอบ"), "th") == "นายสมชาย ทดสอบ"
    assert full_name(("Mr.", "Somchai", "", "Thodsob"), "en") == "Mr. Somchai Thodsob"
    assert expiry_state(b"99999999", date(2030, 1, 1)) == "lifelong"
    assert expiry_state(b"25600101", date(2026, 1, 1)) == "expired"
    assert expiry_state(b"xx", date(2026, 1, 1)) == "unknown"
    fields = card_fields(details_of(CANARY, today=date(2026, 12, 2)), "en")
    assert fields["checks"] == {
        "applet": "passed",
        "check_digit": "passed",
        "expiry": "not expired",
    }
    assert all_strings_present()


def test_photo_cut_at_its_end_marker_and_missing_photo() -> None:
    assert cut_photo(b"\xff\xd8abc\xff\xd9\x00\x00") == b"\xff\xd8abc\xff\xd9"
    assert cut_photo(b"\x00" * 100) is None
    assert cut_photo(b"\xff\xd8 no end") is None


def test_settings_refuse_lan_without_tls_and_a_public_kiosk(tmp_path: Path) -> None:
    with pytest.raises(FieldError, match="lan_host needs tls_cert"):
        OfficerViewSettings(enabled=True, lan_host="0.0.0.0")
    with pytest.raises(FieldError, match="loopback"):
        OfficerViewSettings(enabled=True, host="0.0.0.0")
    assert OfficerViewSettings().enabled is False  # off unless the agency switches it on
