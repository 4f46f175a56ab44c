"""One simulated counter: the real :class:`~agent.runtime.Agent` with simulated hardware.

The counter's script (visitors, presses, the staff button) is a queue of actions at simulated
times; the fleet's driver loop calls :meth:`SimulatedCounter.step` with the current simulated
time. Buttons are pressed the way a citizen presses them: by driving the MockFactory pin low,
then high, so the real panel and session code sees every press.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from gpiozero.pins.mock import MockFactory

from agent.card.day_key_store import StaticDayKeys
from agent.card.simulated import SimulatedCardSource
from agent.config import AgentConfig
from agent.runtime import Agent
from agent.wire import HeartbeatBody
from protocols.day_keys import DayKeyFile
from simulator import behaviour
from simulator.behaviour import Tendency
from simulator.gps import SimulatedGps
from simulator.link import CuttableLink
from simulator.offices import CounterSite
from simulator.reader import FaultableReader
from simulator.sim_clock import SimClock

_LOGGER = logging.getLogger(__name__)

Action = Callable[[], None]


@dataclass(frozen=True, slots=True)
class Timing:
    """Intervals on the simulated clock, chosen from the speed so real rates stay modest."""

    heartbeat_s: float
    location_s: float
    republish_s: float

    @classmethod
    def for_speed(cls, speed: float) -> Timing:
        # Real seconds: a heartbeat every ~5 s, a location every ~3 s (the collector needs a few
        # fixes before it trusts a GPS pin), republish after ~30 s without an end-to-end ack.
        return cls(
            heartbeat_s=min(3600.0, max(60.0, 5 * speed)),
            location_s=min(3600.0, max(10.0, 3 * speed)),
            republish_s=max(120.0, 30 * speed),
        )


def counter_config(
    site: CounterSite, mqtt_url: str, workdir: Path, timing: Timing, *, scale: int = 5
) -> AgentConfig:
    """The agent config a technician would write for this counter, with simulated hardware."""
    buttons = [5, 6, 13, 19, 26][:scale]
    leds = [12, 16, 20, 21, 25][:scale]
    return AgentConfig.from_data(
        {
            "device": {"id": site.device_id, "office": site.office.office_id, "sw_version": "sim"},
            "mqtt": {
                "url": mqtt_url,
                "keepalive_s": 15,
                "backoff_min_s": 0.5,
                "backoff_max_s": 4.0,
            },
            "outbox": {
                "path": workdir / site.device_id / "outbox.sqlite3",
                "republish_after_s": timing.republish_s,
                "min_disk_free_mb": 50.0,
            },
            "session": {"rating_window_s": 60.0, "min_press_interval_s": 2.0},
            "panel": {"pin_factory": "mock", "bounce_s": None, "buttons": buttons, "leds": leds},
            "card": {"backend": "simulated"},
            "heartbeat": {"interval_s": timing.heartbeat_s},
            "location": {"gpsd": False, "republish_interval_s": timing.location_s},
        }
    )


class SimulatedAgent(Agent):
    """The real agent, except that its heartbeat vouches for the clock it was given.

    The kernel's sync state says nothing about a simulated clock (and test machines often run
    without NTP), so ``clock_synced`` would raise a false alert for every simulated counter.
    """

    def heartbeat_body(self) -> HeartbeatBody:
        return dataclasses.replace(super().heartbeat_body(), clock_synced=True)


class SimulatedCounter:
    """A counter, its hardware, its link to the broker and its script of visitors."""

    def __init__(
        self,
        site: CounterSite,
        *,
        clock: SimClock,
        broker_host: str,
        broker_port: int,
        workdir: Path,
        day_keys: DayKeyFile,
        tendency: Tendency,
        rng: random.Random,
        scale: int = 5,
    ) -> None:
        self.site = site
        self.device_id = site.device_id
        self.clock = clock
        self.tendency = tendency
        self.rng = rng
        self.link = CuttableLink(broker_host, broker_port)
        self.config = counter_config(
            site, self.link.url, workdir, Timing.for_speed(clock.speed), scale=scale
        )
        self.pins = MockFactory()
        keys = StaticDayKeys(day_keys)
        self.reader = FaultableReader(SimulatedCardSource(day_keys=keys, today=self._today))
        self.gps = SimulatedGps(site.office.lat, site.office.lon, rng)
        self.agent = SimulatedAgent(
            self.config,
            card_source=self.reader,
            pin_factory=self.pins,
            location_source=self.gps,
            clock=clock,
        )
        self._queue: list[tuple[float, int, Action]] = []
        self._order = itertools.count()
        self.sessions = 0
        self.presses = 0

    # -- lifecycle -------------------------------------------------------------------------
    def _today(self) -> date:
        return self.clock.now().date()

    def start(self) -> None:
        self.link.start()
        self.agent.start()
        now = self.clock.now()
        self._at(behaviour.next_arrival(self.rng, now, self.tendency.busyness), self._arrive)
        self._at(
            behaviour.next_walk_up(self.rng, now, self.tendency.walk_up_per_hour), self._walk_up
        )

    def stop(self) -> None:
        """Stop the agent (it publishes ``offline``), then the link."""
        if not self.link.up:
            self.link.restore()
        self.agent.stop()
        self.link.stop()

    # -- the driver's calls ----------------------------------------------------------------
    def step(self, elapsed_s: float) -> None:
        """Run every scripted action due at or before simulated second ``elapsed_s``."""
        while self._queue and self._queue[0][0] <= elapsed_s:
            _, _, action = heapq.heappop(self._queue)
            action()

    def tick(self) -> None:
        self.agent.tick()

    @property
    def online(self) -> bool:
        return self.agent.publisher.connected

    # -- script ----------------------------------------------------------------------------
    def _at(self, when: datetime, action: Action) -> None:
        elapsed = (when - self.clock.start).total_seconds()
        heapq.heappush(self._queue, (elapsed, next(self._order), action))

    def _after(self, seconds: float, action: Action) -> None:
        self._at(self.clock.now() + timedelta(seconds=seconds), action)

    def _arrive(self) -> None:
        rng, tendency = self.rng, self.tendency
        person = behaviour.synthetic_visitor(rng)
        service = behaviour.service_time_s(rng)
        if self.reader.insert(person):
            self.sessions += 1
            if rng.random() < tendency.copy_share:
                self._after(rng.uniform(20, service * 0.8), self.press_staff)
            self._after(service, self._leave)
            return
        # No card read (reader fault): the official falls back to a paper copy, and the
        # citizen may still press a button (an unverified rating).
        self._after(rng.uniform(5, 30), self.press_staff)
        if rng.random() < tendency.rate_share / 2:
            self._after(service, lambda: self.press(tendency.score(rng, self._scale)))
        self._after(service, self._next_visitor)

    def _leave(self) -> None:
        rng, tendency = self.rng, self.tendency
        self.reader.remove()
        if rng.random() < tendency.rate_share:
            score = tendency.score(rng, self._scale)
            self._after(rng.uniform(2, 25), lambda: self._rate(score))
        self._next_visitor()

    def _rate(self, score: int) -> None:
        rng = self.rng
        self.press(score)
        if rng.random() < self.tendency.misuse_share:
            # Pressing again: at once (too soon), or a few seconds later (already counted).
            again = rng.uniform(0.2, 1.5) if rng.random() < 0.5 else rng.uniform(4, 15)
            self._after(again, lambda: self.press(rng.randint(1, self._scale)))

    def _next_visitor(self) -> None:
        start = self.clock.now() + timedelta(seconds=self.rng.uniform(20, 120))
        self._at(behaviour.next_arrival(self.rng, start, self.tendency.busyness), self._arrive)

    def _walk_up(self) -> None:
        self.press(self.tendency.score(self.rng, self._scale))
        nxt = behaviour.next_walk_up(self.rng, self.clock.now(), self.tendency.walk_up_per_hour)
        self._at(nxt, self._walk_up)

    @property
    def _scale(self) -> int:
        return len(self.config.panel.buttons)

    # -- hardware --------------------------------------------------------------------------
    def press(self, score: int) -> None:
        """A citizen presses rating button ``score`` (1 = worst)."""
        pin = self.pins.pin(self.config.panel.buttons[score - 1])
        pin.drive_low()
        pin.drive_high()
        self.presses += 1

    def press_staff(self) -> None:
        """Staff briefly press their button: a paper copy was still demanded."""
        staff = self.config.panel.staff_button
        if staff is None:
            return
        pin = self.pins.pin(staff)
        pin.drive_low()
        pin.drive_high()

    def emit_fix(self) -> None:
        self.gps.emit()
