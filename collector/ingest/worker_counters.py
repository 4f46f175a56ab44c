"""The ingest workers' counters, added into the main process's ``/metrics``.

Each worker process (``collector/ingest_worker.py``) prints its counters' totals on its stdout
(``counters {json}``) at most every :data:`REPORT_EVERY_S` when they changed, and once more when
it stops; the main process (:class:`CounterMerger`, fed by ``ingest/workers.py``) adds the
difference to the previous report *of that process* to its own counters. So ``/metrics`` counts
the whole collector, and stays monotonic when a worker dies and starts again: a new process
starts from zero against a baseline of zero, and what the dead one reported stays counted.
Residual: what a worker killed with SIGKILL counted after its last report (at most
``REPORT_EVERY_S`` of it) is missing from the totals; nothing is counted twice.

Only counters travel: the gauges are computed from the database by the main process at scrape.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from typing import TextIO

from prometheus_client import CollectorRegistry, Counter

_LOGGER = logging.getLogger(__name__)
REPORT_EVERY_S = 0.5
PREFIX = "counters "

Totals = dict[str, float]
"""``json.dumps([counter name, {label: value}])`` -> total."""


def totals(registry: CollectorRegistry) -> Totals:
    """Every counter sample of ``registry`` (the ``_total`` series only)."""
    out: Totals = {}
    for family in registry.collect():
        if family.type != "counter":
            continue
        for sample in family.samples:
            if sample.name.endswith("_total") and sample.value:
                out[json.dumps([family.name, sample.labels], sort_keys=True)] = sample.value
    return out


class CounterMerger:
    """Main process: adds each worker process's increments to the local counters."""

    def __init__(self, counters: list[Counter]) -> None:
        self._counters = {next(iter(c.describe())).name: c for c in counters}
        self._last: dict[int, Totals] = {}

    def apply(self, pid: int, report: Totals) -> None:
        """``report``: the worker ``pid``'s totals since it started."""
        previous = self._last.get(pid, {})
        for key, value in report.items():
            delta = value - previous.get(key, 0.0)
            if delta <= 0:
                continue
            name, labels = json.loads(key)
            counter = self._counters.get(name)
            if counter is None:  # a counter this process does not know (a newer worker)
                continue
            (counter.labels(**labels) if labels else counter).inc(delta)
        self._last[pid] = {**previous, **report}

    def parse_line(self, pid: int, line: bytes) -> bool:
        """Apply a ``counters {...}`` line of worker ``pid``; False when it is not one."""
        text = line.decode("utf-8", errors="replace").strip()
        if not text.startswith(PREFIX):
            return False
        try:
            report = json.loads(text[len(PREFIX) :])
        except ValueError:
            _LOGGER.warning("ingest worker pid %s: unreadable counters line", pid)
            return True
        self.apply(pid, {str(k): float(v) for k, v in report.items()})
        return True

    def forget(self, pid: int) -> None:
        """The worker ``pid`` exited: its reports are all counted."""
        self._last.pop(pid, None)


class CounterReporter:
    """Worker process: prints its totals when they changed, and once more at :meth:`stop`."""

    def __init__(self, registry: CollectorRegistry, out: TextIO | None = None) -> None:
        self._registry = registry
        self._out = out or sys.stdout
        self._sent: Totals = {}
        self._task: asyncio.Task[None] | None = None

    def report(self) -> None:
        now = totals(self._registry)
        if now != self._sent:
            self._out.write(PREFIX + json.dumps(now) + "\n")
            self._out.flush()
            self._sent = now

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="worker-counters")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(REPORT_EVERY_S)
            self.report()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.report()
