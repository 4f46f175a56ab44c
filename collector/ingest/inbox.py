"""Hands messages from the MQTT thread to the asyncio batcher in bursts.

One ``call_soon_threadsafe`` per message halves the throughput (TESTING.md), so the paho thread
appends under a lock and wakes the loop only when a batch starts or fills up.

Bounded: QoS 1 messages are bounded by the broker (Receive Maximum: it sends no more unacknowledged
ones, and they are acknowledged only after their commit), but QoS 0 messages bypass that flow
control, so a flood of them could grow the inbox without limit. At most ``qos0_max`` QoS 0
messages wait; further ones are dropped and counted (``on_drop``). Nothing is lost by that: QoS 0
is what a device sends when a message may be lost (heartbeats); an event sent at QoS 0 is never
acknowledged end to end, so the device's outbox sends it again. QoS 1 messages are never dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable

from collector.records import RawMessage


class Inbox:
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        batch_max: int,
        window_s: float,
        qos0_max: int = 20_000,
        on_drop: Callable[[RawMessage], None] | None = None,
    ) -> None:
        self._loop = loop
        self._batch_max = batch_max
        self._window_s = window_s
        self._qos0_max = qos0_max
        self._on_drop = on_drop
        self._lock = threading.Lock()
        self._items: list[RawMessage] = []
        self._qos0 = 0
        self.dropped = 0
        self._first_at = 0.0
        self._wake = asyncio.Event()

    def put(self, message: RawMessage) -> None:
        """Called on the paho thread."""
        self.put_many([message])

    def put_many(self, messages: list[RawMessage]) -> None:
        """Called on the paho thread: the messages of one read, under one lock and one wake-up."""
        dropped: list[RawMessage] = []
        with self._lock:
            before = len(self._items)
            for message in messages:
                if message.qos == 0:
                    if self._qos0 >= self._qos0_max:
                        dropped.append(message)
                        continue
                    self._qos0 += 1
                self._items.append(message)
            after = len(self._items)
            self.dropped += len(dropped)
            if before == 0 and after > 0:
                self._first_at = time.monotonic()
        if self._on_drop is not None:
            for message in dropped:  # outside the lock: never hold up the batcher
                self._on_drop(message)
        if (before == 0 < after) or (before < self._batch_max <= after):
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
                self._qos0 -= sum(1 for m in batch if m.qos == 0)
                if self._items:
                    self._wake.set()  # leftovers are overdue already: the next take is immediate
                else:
                    self._wake.clear()
            return batch

    def drain(self) -> list[RawMessage]:
        """Everything still waiting (at shutdown)."""
        with self._lock:
            items, self._items = self._items, []
            self._qos0 = 0
            self._wake.clear()
            return items
