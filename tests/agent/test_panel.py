"""The button panel on gpiozero's MockFactory: presses reach the listener, LEDs show patterns."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from gpiozero.pins.mock import MockFactory, MockPin

from agent.config import PanelSettings
from agent.panel import FAULT_BLINK_S, Panel, PanelError, RatingLeds, StatusLight

SETTINGS = PanelSettings(
    buttons=[5, 6, 13],
    leds=[12, 16, 20],
    status_led=24,
    staff_button=23,
    staff_hold_s=0.3,
    bounce_s=None,
    ack_blink_s=0.1,
    ack_blinks=2,
)


class Listener:
    def __init__(self) -> None:
        self.calls: list[object] = []

    def rating_pressed(self, score: int) -> None:
        self.calls.append(score)

    def staff_pressed(self) -> None:
        self.calls.append("staff")

    def staff_held(self) -> None:
        self.calls.append("held")


@pytest.fixture
def factory() -> MockFactory:
    return MockFactory()


@pytest.fixture
def panel(factory: MockFactory) -> Iterator[Panel]:
    p = Panel(SETTINGS, pin_factory=factory)
    yield p
    p.close()


def pin(factory: MockFactory, number: int) -> MockPin:
    return factory.pin(number)  # type: ignore[no-any-return]


def states(p: MockPin) -> list[bool]:
    return [bool(s.state) for s in p.states]


def wait_for(predicate: object, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_presses_reach_the_listener(factory: MockFactory, panel: Panel) -> None:
    listener = Listener()
    panel.bind(listener)
    for number in (13, 5):
        pin(factory, number).drive_low()
        pin(factory, number).drive_high()
    assert listener.calls == [3, 1]
    assert panel.scale == 3


def test_staff_short_press_and_hold(factory: MockFactory, panel: Panel) -> None:
    listener = Listener()
    panel.bind(listener)
    staff = pin(factory, 23)
    staff.drive_low()
    staff.drive_high()
    assert listener.calls == ["staff"]
    staff.drive_low()
    wait_for(lambda: "held" in listener.calls)
    staff.drive_high()
    time.sleep(0.05)
    assert listener.calls == ["staff", "held"]  # a hold is not also a short press


def test_invite_lights_every_rating_led(factory: MockFactory, panel: Panel) -> None:
    panel.show(RatingLeds.INVITE)
    assert [pin(factory, n).state for n in (12, 16, 20)] == [True, True, True]
    panel.show(RatingLeds.OFF)
    assert [pin(factory, n).state for n in (12, 16, 20)] == [False, False, False]


def test_acknowledge_blinks_the_pressed_led(factory: MockFactory, panel: Panel) -> None:
    panel.show(RatingLeds.INVITE)
    led2 = pin(factory, 16)
    led2.clear_states()
    panel.acknowledge(2)
    assert pin(factory, 12).state is False
    assert pin(factory, 20).state is False
    wait_for(lambda: len(led2.states) >= 6)
    time.sleep(0.15)  # one more beat: a seventh change would show here
    # lit (inviting), dark for a beat, then on/off twice at 0.1 s
    assert states(led2) == [True, False, True, False, True, False]
    led2.assert_states_and_times(
        [(0, True), (0, False), (0.1, True), (0.1, False), (0.1, True), (0.1, False)]
    )
    assert pin(factory, 12).state is False  # the others stay dark


def test_acknowledge_then_invite_again(factory: MockFactory, panel: Panel) -> None:
    """On a counter without reader, the LEDs go back to inviting after the acknowledgement."""
    panel.show(RatingLeds.INVITE)
    panel.acknowledge(1, then=RatingLeds.INVITE)
    wait_for(lambda: [pin(factory, n).state for n in (12, 16, 20)] == [True, True, True])


def test_status_patterns_differ(factory: MockFactory, panel: Panel) -> None:
    status = pin(factory, 24)
    panel.set_status(StatusLight.OK)
    assert status.state is True
    status.clear_states()
    panel.set_status(StatusLight.FAULT)
    time.sleep(5 * FAULT_BLINK_S + 0.05)
    fault = [s.timestamp for s in status.states[2:]]
    assert len(fault) >= 3
    assert all(abs(t - FAULT_BLINK_S) < 0.06 for t in fault)
    status.clear_states()
    panel.set_status(StatusLight.OFFLINE)
    time.sleep(1.3)
    offline = states(status)
    # offline: a slow blink, at most one change per second after the switch
    assert 2 <= len(offline) <= 4
    assert status.states[-1].timestamp > 0.9


def test_identify_blinks_everything_then_restores(factory: MockFactory, panel: Panel) -> None:
    panel.show(RatingLeds.INVITE)
    panel.set_status(StatusLight.OK)
    for n in (12, 24):
        pin(factory, n).clear_states()
    panel.identify(1)
    time.sleep(1.3)
    assert states(pin(factory, 12))[:3] == [True, False, True]
    assert pin(factory, 12).state is True
    assert pin(factory, 24).state is True


def test_pin_conflict_is_a_panel_error(factory: MockFactory, panel: Panel) -> None:
    with pytest.raises(PanelError, match="panel pins"):
        Panel(SETTINGS, pin_factory=factory)  # the same pins are taken by `panel`


def test_hammering_presses_never_break_the_callbacks(factory: MockFactory) -> None:
    """Regression: gpiozero's blink raced with off() from another thread (RuntimeError:
    cannot join thread before it is started); presses one blink-beat apart hit it quickly."""
    fast = SETTINGS.replace(ack_blink_s=0.001, ack_blinks=1)
    panel = Panel(fast, pin_factory=factory)
    errors: list[BaseException] = []
    previous_hook = threading.excepthook
    threading.excepthook = lambda args: errors.append(args.exc_value)  # type: ignore[assignment]
    try:
        for i in range(1500):
            panel.acknowledge(1, then=RatingLeds.INVITE if i % 3 else RatingLeds.OFF)
            time.sleep(0.001 if i % 2 else 0.0012)
        time.sleep(0.1)
    finally:
        threading.excepthook = previous_hook
        panel.close()
    assert errors == []


def test_an_idle_panel_runs_no_thread(factory: MockFactory) -> None:
    """No busy ticks (issue 14): gpiozero's Button would keep a hold thread per button waking
    every 0.1 s; the panel's inputs have none, and the staff hold timer lives only while the
    button is down."""
    before = set(threading.enumerate())
    p = Panel(SETTINGS, pin_factory=factory)
    try:
        p.bind(Listener())
        assert set(threading.enumerate()) - before == set()
        staff = pin(factory, 23)
        staff.drive_low()
        staff.drive_high()  # a short press: its timer is cancelled
        wait_for(lambda: not (set(threading.enumerate()) - before))
    finally:
        p.close()
