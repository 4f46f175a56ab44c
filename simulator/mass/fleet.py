"""Thousands of :class:`MassDevice` on one asyncio loop, on one schedule.

Ratings arrive as a Poisson process at ``ratings_per_hour`` per counter (office-hour rates: a
visitor every few minutes), spread over the fleet each 100 ms tick; each device sends a
heartbeat every ``heartbeat_s``, the fleet's heartbeats spread evenly over that period. Devices
connect in a ramp of ``connect_per_s`` (a fleet powering on in the morning).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
import time
from dataclasses import asdict, dataclass

from simulator.mass.aio_paho import AsyncioPaho
from simulator.mass.device import Broker, MassDevice

TICK_S = 0.1


@dataclass(frozen=True, slots=True)
class MassStatus:
    t: float
    devices: int
    connected: int
    drained: int
    sessions: int
    written: int
    acked: int
    pending: int
    commands: int
    refused: int

    def json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    def line(self) -> str:
        return (
            f"{self.t:7.1f} s | connected {self.connected}/{self.devices} | drained "
            f"{self.drained} | sessions {self.sessions} | events {self.written} written, "
            f"{self.acked} acked, {self.pending} pending"
        )


class MassFleet:
    def __init__(
        self,
        device_ids: list[str],
        broker: Broker,
        *,
        ratings_per_hour: float = 12.0,
        heartbeat_s: float = 60.0,
        connect_per_s: float = 1000.0,
        seed: int = 1,
    ) -> None:
        self.broker = broker
        self.ratings_per_hour = ratings_per_hour
        self.heartbeat_s = heartbeat_s
        self.connect_per_s = connect_per_s
        self._ids = device_ids
        self._rng = random.Random(seed)  # noqa: S311 (simulation, not security)
        self._seed = seed
        self.devices: list[MassDevice] = []
        self._t0 = time.monotonic()
        self._tasks: list[asyncio.Task[None]] = []
        self.producing = True
        self.changed = asyncio.Event()

    def _changed(self) -> None:
        self.changed.set()

    async def start(self) -> None:
        """Create every device and connect them in a ramp; return when all have tried once."""
        loop = asyncio.get_running_loop()
        driver = AsyncioPaho(loop)
        self._t0 = time.monotonic()
        self._tasks.append(asyncio.create_task(driver.run_misc()))
        self.devices = [
            MassDevice(
                device_id,
                self.broker,
                driver,
                random.Random(f"{self._seed}:{device_id}"),  # noqa: S311
                self._changed,
            )
            for device_id in self._ids
        ]
        self._tasks.append(asyncio.create_task(self._schedule()))
        batch = max(1, int(self.connect_per_s * TICK_S))
        for i in range(0, len(self.devices), batch):
            for device in self.devices[i : i + batch]:
                device.start()
            await asyncio.sleep(TICK_S)

    async def _schedule(self) -> None:
        """Ratings (Poisson over the fleet) and heartbeats (spread over the period)."""
        n = len(self.devices)
        per_tick = n * self.ratings_per_hour / 3600 * TICK_S
        ticks_per_period = max(1, round(self.heartbeat_s / TICK_S))
        tick = 0
        next_at = time.monotonic()
        while True:
            next_at += TICK_S
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            if self.producing:
                for _ in range(_poisson(self._rng, per_tick)):
                    self.devices[self._rng.randrange(n)].rate()
            slot = tick % ticks_per_period
            for device in self.devices[slot::ticks_per_period]:
                device.heartbeat()
            tick += 1

    def status(self) -> MassStatus:
        d = self.devices
        return MassStatus(
            t=round(time.monotonic() - self._t0, 2),
            devices=len(d),
            connected=sum(1 for x in d if x.connected),
            drained=sum(1 for x in d if x.drained),
            sessions=sum(x.sessions for x in d),
            written=sum(x.last_seq for x in d),
            acked=sum(x.acked_seq for x in d),
            pending=sum(len(x.pending) for x in d),
            commands=sum(x.commands for x in d),
            refused=sum(x.refused for x in d),
        )

    async def wait_for(self, check: str, timeout_s: float) -> bool:
        """Wait until ``check`` (``connected``, ``drained`` or ``acked``) holds for every
        device; False after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while not self._holds(check):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(left, 1.0))
        return True

    def _holds(self, check: str) -> bool:
        if check == "connected":
            return all(x.connected for x in self.devices)
        if check == "drained":
            return all(x.drained for x in self.devices)
        if check == "acked":
            return all(x.connected and not x.pending for x in self.devices)
        raise ValueError(check)

    async def stop(self, *, settle_s: float = 10.0) -> MassStatus:
        """Stop producing, wait up to ``settle_s`` for the last acks, publish ``offline`` on
        every device, and end the tasks; returns the final status."""
        self.producing = False
        await self.wait_for("acked", settle_s)
        final = self.status()
        for device in self.devices:
            device.stop()
        deadline = time.monotonic() + 10
        while any(x.connected for x in self.devices) and time.monotonic() < deadline:
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), 0.5)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        return final


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method; the means here are small (< 30 per tick)."""
    if mean <= 0:
        return 0
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
