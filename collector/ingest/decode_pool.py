"""Validation off the main process: one paho receive path and protocol validation do not both fit
in one interpreter (GIL) at the target rates (~30 + ~40 µs a message), so batches are decoded in a
worker process when ``CF_DECODE_WORKERS`` > 0 (messages and rows cross as cheap NamedTuples).

The worker is a fresh interpreter (spawn) that imports pydantic and the protocol models: about
half a second. Ingest does not wait for it: :meth:`DecodePool.start` only launches it, and batches
are decoded inline until it has answered once (a collector restarting after an outage drains
from its first second).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

from collector.ingest.decoder import build_batch
from collector.limits import IngestLimits
from collector.records import IngestBatch, RawMessage

_LOGGER = logging.getLogger(__name__)


def _warm_up() -> bool:
    return True


def exit_with_parent(parent: int) -> None:
    """A worker whose collector died (SIGKILL) must not linger: watch the parent pid."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _report_warm(warm: asyncio.Future[bool]) -> None:
    if warm.cancelled():
        return
    error = warm.exception()
    if error is not None:
        _LOGGER.error("the decode worker did not start (%s); decoding in the main process", error)
    else:
        _LOGGER.info("decoding in a worker process")


class DecodePool:
    """``await pool.build(messages)``: in a worker process, or inline when ``workers`` is 0."""

    def __init__(self, workers: int, limits: IngestLimits | None = None) -> None:
        self.limits = limits or IngestLimits()
        self._pool: ProcessPoolExecutor | None = None
        self._warm: asyncio.Future[bool] | None = None
        if workers > 0:
            # spawn, not fork: the parent has threads (paho, aiosqlite) that fork would copy badly.
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=context,
                initializer=exit_with_parent,
                initargs=(os.getpid(),),
            )

    def start(self) -> None:
        """Launch the worker; batches are decoded inline until it is ready (no waiting here)."""
        if self._pool is not None:
            self._warm = asyncio.get_running_loop().run_in_executor(self._pool, _warm_up)
            self._warm.add_done_callback(_report_warm)

    @property
    def warm(self) -> bool:
        """The worker process has started and answered once."""
        warm = self._warm
        return warm is not None and warm.done() and not warm.cancelled() and not warm.exception()

    async def build(self, messages: list[RawMessage]) -> IngestBatch:
        if self._pool is None or len(messages) < 32 or not self.warm:
            return build_batch(messages, self.limits)
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, build_batch, messages, self.limits
        )

    def close(self) -> None:
        if self._warm is not None and not self._warm.done():
            self._warm.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
