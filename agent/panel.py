"""The rating button panel: 3-5 buttons with one LED each, a status LED and a staff button.

gpiozero devices, with the pin factory injectable (keyword-only ``pin_factory``) so that tests
drive gpiozero's ``MockFactory`` and the fleet simulator runs many panels in one process.

LED patterns (the counter staff's only feedback, so they must be unmistakable):

* rating LEDs off: no rating is expected (a session is running, or nothing happens);
* rating LEDs all lit steadily: "please rate" (a rating window is open; on a counter without
  a card reader they stay lit all the time);
* one rating LED blinking ``ack_blinks`` times (``ack_blink_s`` on/off), the others dark:
  that press was counted;
* every LED blinking together 0.5 s on / 0.5 s off: ``identify`` command ("which Pi is this?");
* status LED lit steadily: connected, no fault; slow blink (1 s on / 1 s off): offline (no
  broker); fast blink (0.2 s on / 0.2 s off): a fault (reader or panel), shown even when offline.
"""

from __future__ import annotations

import logging
import threading
from enum import Enum
from typing import Protocol

from gpiozero import LED, Device, DigitalInputDevice, GPIOZeroError
from gpiozero.pins import Factory

from agent.config import PanelSettings
from agent.errors import AgentError

_LOGGER = logging.getLogger(__name__)

OFFLINE_BLINK_S = 1.0
FAULT_BLINK_S = 0.2
IDENTIFY_BLINK_S = 0.5


class PanelListener(Protocol):
    def rating_pressed(self, score: int) -> None: ...

    def staff_pressed(self) -> None: ...

    def staff_held(self) -> None: ...


class RatingLeds(Enum):
    OFF = "off"
    INVITE = "invite"


class StatusLight(Enum):
    OK = "ok"
    OFFLINE = "offline"
    FAULT = "fault"


class PanelError(AgentError):
    """The panel's pins could not be claimed."""


class Panel:
    """Owns the GPIO devices; translates presses into listener calls and modes into LEDs.

    Buttons are gpiozero ``DigitalInputDevice``s, not ``Button``s: every ``Button`` keeps a
    hold thread that wakes every 0.1 s for life (60 wake-ups a second for five rating buttons
    and the staff button, on a counter that is idle most of the day). The one hold the panel
    needs, the staff button's, is a timer started when it goes down.
    """

    def __init__(self, settings: PanelSettings, *, pin_factory: Factory | None = None) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._listener: PanelListener | None = None
        self._mode = RatingLeds.OFF
        self._generation = 0  # bumps on each mode change: a stale blink thread does not restore
        self._status: StatusLight | None = None
        bounce = settings.bounce_s or None
        devices: list[Device] = []
        try:
            self.buttons = [
                DigitalInputDevice(
                    pin,
                    pull_up=settings.pull_up,
                    bounce_time=bounce,
                    pin_factory=pin_factory,
                )
                for pin in settings.buttons
            ]
            devices += self.buttons
            self.leds = [LED(pin, pin_factory=pin_factory) for pin in settings.leds]
            devices += self.leds
            self.status_led = (
                LED(settings.status_led, pin_factory=pin_factory)
                if settings.status_led is not None
                else None
            )
            self.staff_button = (
                DigitalInputDevice(
                    settings.staff_button,
                    pull_up=settings.pull_up,
                    bounce_time=bounce,
                    pin_factory=pin_factory,
                )
                if settings.staff_button is not None
                else None
            )
        except GPIOZeroError as exc:
            for device in devices:
                device.close()
            raise PanelError(f"panel pins: {exc}") from exc
        self._held = False
        self._hold_lock = threading.Lock()
        self._hold_timer: threading.Timer | None = None
        self._presses = 0
        for index, button in enumerate(self.buttons):
            button.when_activated = self._rating_callback(index + 1)
        if self.staff_button is not None:
            self.staff_button.when_activated = self._staff_down
            self.staff_button.when_deactivated = self._staff_released

    @property
    def scale(self) -> int:
        return len(self.buttons)

    def bind(self, listener: PanelListener) -> None:
        self._listener = listener

    # -- inputs ----------------------------------------------------------------------------
    def _rating_callback(self, score: int) -> object:
        def pressed() -> None:
            if self._listener is not None:
                self._listener.rating_pressed(score)

        return pressed

    def _staff_down(self) -> None:
        with self._hold_lock:
            if self._hold_timer is not None:
                self._hold_timer.cancel()
            self._presses += 1
            timer = threading.Timer(
                self._settings.staff_hold_s, self._staff_hold_due, args=(self._presses,)
            )
            timer.daemon = True
            self._held = False
            self._hold_timer = timer
        timer.start()

    def _staff_hold_due(self, press: int) -> None:
        """Still down ``staff_hold_s`` after the press: a hold (not also a short press)."""
        with self._hold_lock:
            if self._hold_timer is None or press != self._presses:  # released, or a later press
                return
            self._hold_timer = None
            self._held = True
        if self._listener is not None:
            self._listener.staff_held()

    def _staff_released(self) -> None:
        # A short press (released before staff_hold_s) is "a copy was demanded".
        with self._hold_lock:
            timer, self._hold_timer = self._hold_timer, None
            held, self._held = self._held, False
        if timer is not None:
            timer.cancel()
        if held:
            return
        if self._listener is not None:
            self._listener.staff_pressed()

    # -- rating LEDs -----------------------------------------------------------------------
    def show(self, mode: RatingLeds) -> None:
        """Set the resting pattern of the rating LEDs."""
        with self._lock:
            self._generation += 1
            self._mode = mode
            self._apply(mode)

    def _apply(self, mode: RatingLeds) -> None:
        for led in self.leds:
            if mode is RatingLeds.INVITE:
                led.on()
            else:
                led.off()

    def acknowledge(self, score: int, then: RatingLeds = RatingLeds.OFF) -> None:
        """Dark for one beat, then blink the pressed button's LED (the others dark), then rest
        in ``then``. The dark beat makes the first blink visible on an LED that was lit.

        Every LED call happens under the panel's lock: gpiozero's ``blink`` is not safe against
        a concurrent ``off`` from another thread (it may join a thread not yet started).
        """
        s = self._settings
        with self._lock:
            self._generation += 1
            generation = self._generation
            self._mode = then
            for led in self.leds:
                led.off()
        led = self.leds[score - 1]

        def start_blink() -> None:
            with self._lock:
                if generation != self._generation:
                    return
                try:
                    led.blink(s.ack_blink_s, s.ack_blink_s, n=s.ack_blinks, background=True)
                except GPIOZeroError:  # closed meanwhile (shutdown)
                    return
            if then is not RatingLeds.OFF:
                self._restore_later(2 * s.ack_blink_s * s.ack_blinks, generation)

        timer = threading.Timer(s.ack_blink_s, start_blink)
        timer.daemon = True
        timer.start()

    def identify(self, seconds: float) -> None:
        """Blink every LED together for ``seconds``, then restore the resting patterns."""
        n = max(1, round(seconds / (2 * IDENTIFY_BLINK_S)))
        with self._lock:
            self._generation += 1
            generation = self._generation
            for led in [*self.leds, *([self.status_led] if self.status_led else [])]:
                led.blink(IDENTIFY_BLINK_S, IDENTIFY_BLINK_S, n=n, background=True)
        self._restore_later(n * 2 * IDENTIFY_BLINK_S, generation, status=True)

    def _restore_later(self, delay: float, generation: int, *, status: bool = False) -> None:
        def restore() -> None:
            with self._lock:
                if generation != self._generation:
                    return
                try:
                    self._apply(self._mode)
                    if status and self._status is not None:
                        self._apply_status(self._status)
                except GPIOZeroError:  # closed meanwhile (shutdown)
                    return

        timer = threading.Timer(delay, restore)
        timer.daemon = True
        timer.start()

    # -- status LED ------------------------------------------------------------------------
    def set_status(self, status: StatusLight) -> None:
        with self._lock:
            if status is self._status:
                return
            self._status = status
            self._apply_status(status)

    def _apply_status(self, status: StatusLight) -> None:
        if self.status_led is None:
            return
        if status is StatusLight.OK:
            self.status_led.on()
        elif status is StatusLight.OFFLINE:
            self.status_led.blink(on_time=OFFLINE_BLINK_S, off_time=OFFLINE_BLINK_S)
        else:
            self.status_led.blink(on_time=FAULT_BLINK_S, off_time=FAULT_BLINK_S)

    def led_test(self, step_s: float = 0.3) -> None:
        """Light each LED in turn (``agent check``): the technician watches."""
        for led in [*self.leds, *([self.status_led] if self.status_led else [])]:
            led.on()
            threading.Event().wait(step_s)
            led.off()

    def close(self) -> None:
        with self._hold_lock:
            if self._hold_timer is not None:
                self._hold_timer.cancel()
                self._hold_timer = None
        with self._lock:
            self._generation += 1
            for device in [*self.buttons, *self.leds]:
                device.close()
            for extra in (self.status_led, self.staff_button):
                if extra is not None:
                    extra.close()
