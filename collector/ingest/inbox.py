"""Hands messages from the MQTT thread to the asyncio batcher in bursts.

One ``call_soon_threadsafe`` per message halves the throughput (TESTING.md), so the paho thread
appends under a lock and wakes the loop only when a batch starts or fills up.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time

from collector.records import RawMessage


class Inbox:
    def __init__(self, loop: asyncio.AbstractEventLoop, *, batch_max: int, window_s: float) -> None:
        self._loop = loop
        self._batch_max = batch_max
        self._window_s = window_s
        self._lock = threading.Lock()
        self._items: list[RawMessage] = []
        self._first_at = 0.0
        self._wake = asyncio.Event()

    def put(self, message: RawMessage) -> None:
        """Called on the paho thread."""
        with self._lock:
            self._items.append(message)
            count = len(self._items)
            if count == 1:
                self._first_at = time.monotonic()
        if count in (1, self._batch_max):
            self._loop.call_soon_threadsafe(self._wake.set)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def full(self) -> bool:
        """A whole batch is waiting (``take`` returns at once)."""
        return len(self._items) >= self._batch_max

    async def take(self) -> list[RawMessage]:
        """The next batch: up to ``batch_max`` messages, within the window after the first."""
        while True:
            await self._wake.wait()
            with self._lock:
                count = len(self._items)
                first_at = self._first_at
            if count == 0:
                self._wake.clear()
                continue
            remaining = first_at + self._window_s - time.monotonic()
            if count < self._batch_max and remaining > 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=remaining)
            with self._lock:
                batch = self._items[: self._batch_max]
                del self._items[: self._batch_max]
                if self._items:
                    self._wake.set()  # leftovers are overdue already: the next take is immediate
                else:
                    self._wake.clear()
            return batch

    def drain(self) -> list[RawMessage]:
        """Everything still waiting (at shutdown)."""
        with self._lock:
            items, self._items = self._items, []
            self._wake.clear()
            return items
