"""Which worker threads are alive: the systemd watchdog is fed only while all of them are.

The runtime's tick loop feeds ``WATCHDOG=1``; that loop alone being alive proves nothing about the
MQTT connection thread, the card watcher or the gpsd reader. Each worker registers here with its
thread and, optionally, a beat (the last ``time.monotonic()`` it made progress) and a bound: a
worker whose thread has ended, or whose beat is older than the bound, is reported and the watchdog
goes unfed, so systemd restarts the agent instead of leaving a counter offline for good.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

ThreadOf = Callable[[], threading.Thread | None]
BeatOf = Callable[[], float]


@dataclass(frozen=True, slots=True)
class _Worker:
    name: str
    thread: ThreadOf
    beat: BeatOf | None
    stuck_after_s: float | None


class Workers:
    """The worker threads of one agent and what "alive" means for each."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._workers: list[_Worker] = []
        self._monotonic = monotonic

    def watch(
        self,
        name: str,
        thread: ThreadOf,
        *,
        beat: BeatOf | None = None,
        stuck_after_s: float | None = None,
    ) -> None:
        self._workers.append(_Worker(name, thread, beat, stuck_after_s))

    def problems(self) -> list[str]:
        """One ``"name: dead"`` or ``"name: stuck N s"`` per unhealthy worker (empty: all well).

        A worker whose thread was never started (``None``) is not counted: it is not running by
        design (e.g. no GPS configured).
        """
        found: list[str] = []
        t = self._monotonic()
        for worker in self._workers:
            thread = worker.thread()
            if thread is None:
                continue
            if not thread.is_alive():
                found.append(f"{worker.name}: dead")
                continue
            if worker.beat is not None and worker.stuck_after_s is not None:
                idle = t - worker.beat()
                if idle > worker.stuck_after_s:
                    found.append(f"{worker.name}: stuck {idle:.0f} s")
        return found
