"""The fleet: builds the counters, enrols them, drives them, stages incidents, reports progress.

One driver thread (the caller's) runs every counter's script on the shared simulated clock and
ticks every agent; each agent keeps its own MQTT connection thread, as on a real Pi. Incidents
are staged in real time so that a short demo shows them: one counter loses its uplink (a
network cut, so the broker publishes its Last Will) and comes back later with a backlog; another
one's card reader fails and is repaired.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from agent.errors import AgentError
from protocols.day_keys import make_day_keys
from simulator import behaviour
from simulator.counter import SimulatedCounter
from simulator.offices import BIG_OFFICES, place_counters
from simulator.registration import CollectorApi, register
from simulator.sim_clock import SimClock

_LOGGER = logging.getLogger(__name__)

STEP_S = 0.05
TICK_S = 0.2
FIX_EVERY_S = 1.0


@dataclass(frozen=True)
class FleetOptions:
    """What ``python -m simulator`` can be told (see :mod:`simulator.cli`)."""

    mqtt_url: str
    workdir: Path
    devices: int = 20
    speed: float = 60.0
    collector_url: str | None = None
    token: str | None = None
    start: datetime | None = None
    seed: int = 1
    scale: int = 5
    outage_after_s: float | None = 15.0
    outage_for_s: float = 120.0
    fault_after_s: float | None = 25.0
    fault_for_s: float = 90.0
    pepper: bytes = field(default_factory=lambda: os.urandom(32), repr=False)


@dataclass(frozen=True, slots=True)
class FleetStatus:
    sim_time: datetime
    live: bool
    online: int
    devices: int
    sessions: int
    written: int
    acked: int
    backlog: int
    offline: tuple[str, ...]
    faulted: tuple[str, ...]

    def line(self, speed: float) -> str:
        rate = "live" if self.live else f"x{speed:g}"
        parts = [
            f"{self.sim_time:%a %Y-%m-%d %H:%M} ICT ({rate})",
            f"online {self.online}/{self.devices}",
            f"sessions {self.sessions}",
            f"events {self.written} written, {self.acked} acked",
            f"backlog {self.backlog}",
        ]
        if self.offline:
            parts.append("offline: " + ", ".join(self.offline))
        if self.faulted:
            parts.append("reader fault: " + ", ".join(self.faulted))
        return " | ".join(parts)


@dataclass(slots=True)
class _Incident:
    """Something that happens to one counter at a real time and is undone later."""

    counter: SimulatedCounter
    begin_at: float
    end_at: float
    begin: Callable[[], None]
    end: Callable[[], None]
    label: str
    state: str = "pending"

    def poll(self, now: float) -> None:
        if self.state == "pending" and now >= self.begin_at:
            _LOGGER.info("%s: %s begins", self.counter.device_id, self.label)
            self.begin()
            self.state = "active"
        elif self.state == "active" and now >= self.end_at:
            _LOGGER.info("%s: %s ends", self.counter.device_id, self.label)
            self.end()
            self.state = "over"


class Fleet:
    def __init__(self, options: FleetOptions) -> None:
        self.options = options
        parts = urlsplit(options.mqtt_url)
        if parts.scheme != "mqtt" or not parts.hostname:
            raise AgentError(f"--mqtt-url {options.mqtt_url!r}: expected mqtt://host:port")
        self._broker = (parts.hostname, parts.port or 1883)
        try:
            self.clock = SimClock(options.speed, options.start)
        except ValueError as exc:
            raise AgentError(f"--speed/--start: {exc}") from None
        self.sites = place_counters(options.devices)
        self.counters: list[SimulatedCounter] = []
        self._incidents: list[_Incident] = []
        self._started_at = 0.0

    # -- setup -----------------------------------------------------------------------------
    def enrol(self) -> None:
        """Register offices and devices at the collector (skipped without a collector URL)."""
        if not self.options.collector_url:
            return
        api = CollectorApi(self.options.collector_url, self.options.token)
        api.wait_ready()
        register(api, self.sites)

    def start(self) -> None:
        opts = self.options
        first = self.clock.start.date() - timedelta(days=1)
        days = (datetime.now(self.clock.start.tzinfo).date() - first).days + 3
        keys = make_day_keys(opts.pepper, first, days)
        opts.workdir.mkdir(parents=True, exist_ok=True)
        for site in self.sites:
            tendency = behaviour.office_tendency(
                site.office.office_id, opts.seed, big=site.office.office_id in BIG_OFFICES
            )
            rng = behaviour.office_rng(site.device_id, opts.seed)
            self.counters.append(
                SimulatedCounter(
                    site,
                    clock=self.clock,
                    broker_host=self._broker[0],
                    broker_port=self._broker[1],
                    workdir=opts.workdir,
                    day_keys=keys,
                    tendency=tendency,
                    rng=rng,
                    scale=opts.scale,
                )
            )
        for counter in self.counters:
            counter.start()
        self._started_at = time.monotonic()
        self._stage_incidents()

    def _stage_incidents(self) -> None:
        opts, t0 = self.options, self._started_at
        if opts.outage_after_s is not None:
            victim = self.counters[-1]
            self._incidents.append(
                _Incident(
                    victim,
                    t0 + opts.outage_after_s,
                    t0 + opts.outage_after_s + opts.outage_for_s,
                    victim.link.cut,
                    victim.link.restore,
                    "network cut",
                )
            )
        if opts.fault_after_s is not None:
            victim = self.counters[-2] if len(self.counters) > 1 else self.counters[0]
            self._incidents.append(
                _Incident(
                    victim,
                    t0 + opts.fault_after_s,
                    t0 + opts.fault_after_s + opts.fault_for_s,
                    victim.reader.break_down,
                    victim.reader.repair,
                    "reader fault",
                )
            )

    # -- running ---------------------------------------------------------------------------
    def run(
        self,
        stop: threading.Event,
        *,
        report: Callable[[FleetStatus], None] | None = None,
        report_every_s: float = 5.0,
        duration_s: float | None = None,
    ) -> None:
        """Drive the fleet until ``stop`` is set (or ``duration_s`` real seconds passed)."""
        t0 = time.monotonic()
        next_tick = next_report = t0
        spread = FIX_EVERY_S / max(1, len(self.counters))
        next_fix = [t0 + i * spread for i in range(len(self.counters))]
        while not stop.is_set():
            now = time.monotonic()
            if duration_s is not None and now - t0 >= duration_s:
                break
            elapsed = self.clock.elapsed()
            for incident in self._incidents:
                incident.poll(now)
            for i, counter in enumerate(self.counters):
                counter.step(elapsed)
                if now >= next_fix[i]:
                    counter.emit_fix()
                    next_fix[i] = now + FIX_EVERY_S
            if now >= next_tick:
                for counter in self.counters:
                    counter.tick()
                next_tick = now + TICK_S
            if report is not None and now >= next_report:
                report(self.status())
                next_report = now + report_every_s
            stop.wait(STEP_S)

    def status(self) -> FleetStatus:
        counters = self.counters
        return FleetStatus(
            sim_time=self.clock.now(),
            live=self.clock.live,
            online=sum(1 for c in counters if c.online),
            devices=len(counters),
            sessions=sum(c.sessions for c in counters),
            written=sum(c.agent.outbox.last_seq for c in counters),
            acked=sum(c.agent.outbox.acked_seq for c in counters),
            backlog=sum(c.agent.outbox.depth for c in counters),
            offline=tuple(c.device_id for c in counters if not c.online),
            faulted=tuple(c.device_id for c in counters if c.reader.faulted),
        )

    def stop(self) -> None:
        """Stop every agent (each publishes ``offline``) in parallel, then return."""
        if not self.counters:
            return
        with ThreadPoolExecutor(max_workers=min(16, len(self.counters))) as pool:
            for result in pool.map(_stop_counter, self.counters):
                if result:
                    _LOGGER.warning("%s", result)
        self.counters = []


def _stop_counter(counter: SimulatedCounter) -> str | None:
    try:
        counter.stop()
    except Exception as exc:  # one counter must not keep the others running
        return f"{counter.device_id}: stop failed: {exc}"
    return None
