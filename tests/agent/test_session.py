"""The session state machine with a fake clock, a CardSource double and a mock-pin panel."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gpiozero.pins.mock import MockFactory

from agent.config import PanelSettings, SessionSettings
from agent.panel import Panel
from agent.session import SessionMachine
from agent.wire import (
    CopyRequestedBody,
    FaultBody,
    RatingBody,
    SessionEndedBody,
    SessionStartedBody,
)
from tests.agent.doubles import FakeCardSource, FakeClock, Recorder

LEDS = (12, 16, 20, 21)
PANEL = PanelSettings(
    buttons=[5, 6, 13, 19], leds=list(LEDS), status_led=None, staff_button=23, bounce_s=None
)
SESSION = SessionSettings(rating_window_s=60, min_press_interval_s=2, timeout_s=600)


class Rig:
    def __init__(self, *, reader: bool = True) -> None:
        self.clock = FakeClock()
        self.events = Recorder()
        self.factory = MockFactory()
        self.panel = Panel(PANEL, pin_factory=self.factory)
        self.card = FakeCardSource()
        self.machine = SessionMachine(
            SESSION,
            emit=self.events,
            clock=self.clock,
            scale=4,
            has_reader=reader,
            panel=self.panel,
        )
        self.panel.bind(self.machine)
        if reader:
            self.card.start(self.machine)

    def press(self, score: int) -> None:
        p = self.factory.pin(PANEL.buttons[score - 1])
        p.drive_low()
        p.drive_high()

    def leds(self) -> list[bool]:
        return [bool(self.factory.pin(n).state) for n in LEDS]

    def later(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.machine.tick()


@pytest.fixture
def rig() -> Iterator[Rig]:
    r = Rig()
    yield r
    r.panel.close()


def test_card_session_then_verified_rating(rig: Rig) -> None:
    rig.card.insert()
    assert rig.machine.reader == "present"
    assert rig.leds() == [False] * 4
    rig.later(42)
    rig.card.remove()
    assert rig.leds() == [True] * 4  # the window invites a rating
    rig.later(5)
    rig.press(4)
    started, ended, rating = rig.events.bodies
    assert isinstance(started, SessionStartedBody)
    assert started.visitor is not None
    assert isinstance(ended, SessionEndedBody)
    assert (ended.session, ended.duration_s, ended.reason) == (started.session, 42, "card_removed")
    assert isinstance(rating, RatingBody)
    assert (rating.session, rating.score, rating.scale) == (started.session, 4, 4)
    assert rating.verified
    assert rating.after_s == 5
    assert rig.factory.pin(LEDS[0]).state is False  # the others went dark for the ack


def test_one_counted_rating_per_session(rig: Rig) -> None:
    rig.card.insert()
    rig.card.remove()
    rig.later(1)
    rig.press(2)
    rig.later(10)
    rig.press(3)  # a second rating of the same session: misuse, not counted
    assert [type(b) for b in rig.events.bodies].count(RatingBody) == 1
    assert rig.machine.misuse_presses == 1


def test_fast_repeats_are_misuse(rig: Rig) -> None:
    rig.later(100)
    rig.press(1)
    rig.later(0.5)
    rig.press(1)
    rig.later(0.5)
    rig.press(2)  # still within 2 s of the previous press
    rig.later(3)
    rig.press(3)
    ratings = [b for b in rig.events.bodies if isinstance(b, RatingBody)]
    assert [r.score for r in ratings] == [1, 3]
    assert rig.machine.misuse_presses == 2


def test_press_outside_a_window_is_unverified(rig: Rig) -> None:
    rig.card.insert()
    rig.card.remove()
    rig.later(61)  # the window closed
    assert rig.leds() == [False] * 4
    rig.press(3)
    rating = rig.events.bodies[-1]
    assert isinstance(rating, RatingBody)
    assert (rating.verified, rating.session, rating.after_s) == (False, None, None)


def test_press_during_a_session_is_unverified_and_keeps_the_window(rig: Rig) -> None:
    rig.card.insert()
    rig.later(3)
    rig.press(1)
    rig.later(3)
    rig.card.remove()
    rig.later(3)
    rig.press(4)
    first, second = [b for b in rig.events.bodies if isinstance(b, RatingBody)]
    assert not first.verified
    assert second.verified


def test_timeout_ends_a_forgotten_card(rig: Rig) -> None:
    rig.card.insert()
    rig.later(599)
    assert len(rig.events.bodies) == 1
    rig.later(1)
    ended = rig.events.bodies[-1]
    assert isinstance(ended, SessionEndedBody)
    assert ended.reason == "timeout"
    assert ended.duration_s == 600
    rig.card.remove()  # the later removal does not end it twice
    assert [type(b) for b in rig.events.bodies].count(SessionEndedBody) == 1


def test_staff_hold_ends_and_short_press_records_a_copy(rig: Rig) -> None:
    rig.card.insert()
    rig.machine.staff_pressed()
    rig.later(20)
    rig.machine.staff_held()
    started, copy, ended = rig.events.bodies
    assert isinstance(copy, CopyRequestedBody)
    assert copy.session == started.session
    assert copy.document == "id_card"
    assert isinstance(ended, SessionEndedBody)
    assert ended.reason == "staff"
    rig.machine.staff_pressed()  # within the rating window: still that session's copy
    late = rig.events.bodies[-1]
    assert isinstance(late, CopyRequestedBody)
    assert late.session == started.session


def test_next_card_closes_the_open_window(rig: Rig) -> None:
    rig.card.insert()
    rig.card.remove()
    rig.later(2)
    rig.card.insert()  # next citizen before the previous one rated
    rig.later(3)
    rig.press(2)
    rating = rig.events.bodies[-1]
    assert isinstance(rating, RatingBody)
    assert not rating.verified


def test_card_fault_becomes_a_fault_event(rig: Rig) -> None:
    rig.card.fault("Not Thai card!", "ATR did not match")
    fault = rig.events.bodies[-1]
    assert isinstance(fault, FaultBody)
    assert (fault.component, fault.code, fault.detail) == (
        "reader",
        "not_thai_card_",
        "ATR did not match",
    )


def test_without_reader_all_ratings_unverified_and_leds_lit() -> None:
    rig = Rig(reader=False)
    try:
        assert rig.leds() == [True] * 4
        rig.press(2)
        rig.later(5)
        rig.press(3)
        ratings = [b for b in rig.events.bodies if isinstance(b, RatingBody)]
        assert [(r.score, r.verified, r.session) for r in ratings] == [
            (2, False, None),
            (3, False, None),
        ]
    finally:
        rig.panel.close()
