"""Extra ingest processes (``CF_INGEST_WORKERS`` > 1), started and watched by the main one.

Each worker is ``python -m collector.ingest_worker INDEX``: a whole ingest path (MQTT, validation,
commit, PUBACK, acks) of its own on the shared subscription ``$share/<group>/...`` with the fixed
client id ``<CF_MQTT_CLIENT_ID>-w<INDEX>`` and a persistent session, so the broker keeps its
share while it is down and redelivers what it never acknowledged. The main process is worker 0
and also serves HTTP. A worker that dies (even SIGKILL) is started again with the same index,
after a pause, and resumes its session; a worker whose parent dies exits by itself. Ready means
every worker printed ``ready`` (its subscription granted) since its last start. The workers'
counters reach the main process's ``/metrics`` through their stdout (``worker_counters.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys

from collector.ingest.worker_counters import CounterMerger

_LOGGER = logging.getLogger(__name__)
_RESTART_DELAY_S = 1.0
_STOP_TIMEOUT_S = 20.0


class WorkerPool:
    """Workers ``1..count`` (the caller is worker 0)."""

    def __init__(self, count: int, counters: CounterMerger | None = None) -> None:
        self._counters = counters
        self._indexes = range(1, count + 1)
        self._procs: dict[int, asyncio.subprocess.Process] = {}
        self._ready: dict[int, bool] = dict.fromkeys(self._indexes, False)
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self.restarts = 0

    @property
    def ready(self) -> bool:
        return all(self._ready.values())

    @property
    def pids(self) -> dict[int, int]:
        """Worker index -> process id of the running workers."""
        return {i: p.pid for i, p in self._procs.items() if p.returncode is None}

    def start(self) -> None:
        for index in self._indexes:
            self._tasks.append(
                asyncio.create_task(self._keep(index), name=f"ingest-worker-{index}")
            )

    async def _keep(self, index: int) -> None:
        while not self._stopping:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "collector.ingest_worker",
                str(index),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                env={**os.environ, "CF_PARENT_PID": str(os.getpid())},
            )
            self._procs[index] = proc
            assert proc.stdout is not None
            async for line in proc.stdout:
                if line.strip() == b"ready":
                    self._ready[index] = True
                    _LOGGER.info("ingest worker %s ready (pid %s)", index, proc.pid)
                elif self._counters is not None:
                    self._counters.parse_line(proc.pid, line)
            code = await proc.wait()
            if self._counters is not None:
                self._counters.forget(proc.pid)
            self._ready[index] = False
            if self._stopping:
                return
            self.restarts += 1
            _LOGGER.error(
                "ingest worker %s (pid %s) exited %s; starting it again", index, proc.pid, code
            )
            await asyncio.sleep(_RESTART_DELAY_S)

    async def stop(self) -> None:
        """SIGTERM every worker (each commits what it holds) and wait for them."""
        self._stopping = True
        for proc in self._procs.values():
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        for proc in self._procs.values():
            try:
                await asyncio.wait_for(proc.wait(), _STOP_TIMEOUT_S)
            except TimeoutError:
                _LOGGER.error("ingest worker pid %s did not stop; killing it", proc.pid)
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
