"""The ingest loop: take a burst from the inbox, validate, commit, PUBACK, publish acks.

A commit happens at most ``batch_window_ms`` after a batch's first message or once it holds
``batch_max`` messages. MQTT messages are acknowledged only after their transaction committed;
a transient database failure is retried with the messages still unacknowledged. Dead letters
older than the retention are deleted about once an hour (``CF_DEAD_LETTER_RETENTION_DAYS``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from collector.errors import TransientStorageError
from collector.ingest.acks import publish_acks
from collector.ingest.decode_pool import DecodePool
from collector.ingest.decoder import build_batch
from collector.ingest.inbox import Inbox
from collector.ingest.subscriber import Subscriber
from collector.metrics import Metrics
from collector.records import BatchResult, DeadLetter, IngestBatch, RawMessage
from collector.storage import Driver
from collector.storage.dead_letters import prune
from collector.storage.ingest_store import write_batch
from protocols import Channel

_LOGGER = logging.getLogger(__name__)
_RETRY_DELAYS = (0.05, 0.2, 0.5, 1.0, 2.0, 5.0)
_PRUNE_EVERY_S = 3600.0

AfterCommit = Callable[[IngestBatch, BatchResult], Awaitable[None]]


_CHANNELS = frozenset(c.value for c in Channel)


def _channel(topic_name: str) -> str:
    """The channel for the metric label (cheap: no full topic validation)."""
    name = topic_name.rsplit("/", 1)[-1]
    return name if name in _CHANNELS else "invalid"


class Batcher:
    def __init__(
        self,
        inbox: Inbox,
        driver: Driver,
        subscriber: Subscriber,
        metrics: Metrics,
        *,
        after_commit: AfterCommit | None = None,
        decoder: DecodePool | None = None,
        retention_s: float = 30 * 86400.0,
    ) -> None:
        self._inbox = inbox
        self._driver = driver
        self._subscriber = subscriber
        self._metrics = metrics
        self._after_commit = after_commit
        self._decoder = decoder or DecodePool(0)
        self._limits = self._decoder.limits
        self._retention_s = retention_s
        self._pruner: asyncio.Task[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._current: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="ingest-batcher")
        self._pruner = asyncio.create_task(self._prune_forever(), name="dead-letter-retention")

    async def prune_now(self) -> int:
        """Delete dead letters older than the retention; return how many."""
        cutoff = int((time.time() - self._retention_s) * 1000)
        deleted = await prune(self._driver, cutoff)
        if deleted:
            self._metrics.dead_letters_pruned.inc(deleted)
            _LOGGER.info("deleted %s dead letters older than the retention", deleted)
        return deleted

    async def _prune_forever(self) -> None:
        while True:
            try:
                await self.prune_now()
            except Exception:
                _LOGGER.exception("dead-letter retention failed (retried in an hour)")
            await asyncio.sleep(_PRUNE_EVERY_S)

    async def stop(self) -> None:
        """Finish the batch in hand, commit what is left in the inbox, then stop."""
        self._stopping = True
        if self._pruner is not None:
            self._pruner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pruner
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._current is not None and not self._current.done():
            try:
                await self._current
            except Exception:
                _LOGGER.exception("the last ingest batch failed at shutdown (it stays unacked)")
        leftover = self._inbox.drain()
        if leftover:
            await self.process(leftover)

    async def _run(self) -> None:
        """Take, decode, commit. When a full batch is already waiting, its decoding (in the
        worker process) overlaps the commit of the current one."""
        ahead: tuple[list[RawMessage], asyncio.Task[IngestBatch]] | None = None
        while not self._stopping:
            if ahead is None:
                messages = await self._inbox.take()
                decoding = asyncio.create_task(self._decoder.build(messages))
            else:
                messages, decoding = ahead
                ahead = None
            batch = await decoding
            if self._inbox.full:
                following = await self._inbox.take()
                ahead = (following, asyncio.create_task(self._decoder.build(following)))
            self._current = asyncio.create_task(self._finish_or_isolate(messages, batch))
            await asyncio.shield(self._current)

    async def _finish_or_isolate(self, messages: list[RawMessage], batch: IngestBatch) -> None:
        """Commit the batch; if the database refuses it for a reason other than a transient one,
        commit its messages one by one and dead-letter the ones it refuses (``store_failed``),
        so that one odd message (e.g. a number too large for a column) never stalls ingest."""
        try:
            await self.finish(messages, batch)
            return
        except Exception:
            _LOGGER.exception(
                "ingest batch of %s messages refused; committing one by one", len(messages)
            )
        for message in messages:
            try:
                await self.finish([message], build_batch([message], self._limits))
            except Exception as exc:
                _LOGGER.error("message on %s refused by the database: %s", message.topic, exc)
                letter = DeadLetter(
                    message.topic,
                    message.payload,
                    "store_failed",
                    f"the database refused it: {type(exc).__name__}",
                    message.received_ms,
                )
                await self.finish([message], IngestBatch(dead_letters=[letter]))

    async def process(self, messages: list[RawMessage]) -> BatchResult:
        """Validate, commit (retrying transient failures), acknowledge; return what it did."""
        return await self.finish(messages, await self._decoder.build(messages))

    async def finish(self, messages: list[RawMessage], batch: IngestBatch) -> BatchResult:
        """Commit a decoded batch, then PUBACK its messages and publish the devices' acks."""
        result = await self._commit(batch)
        skipped = self._subscriber.ack(messages)
        m = self._metrics
        if skipped:
            m.acks_skipped.inc(skipped)
        m.commits.inc()
        counts: dict[str, int] = {}
        for msg in messages:
            channel = _channel(msg.topic)
            counts[channel] = counts.get(channel, 0) + 1
        for channel, count in counts.items():
            m.received.labels(channel).inc(count)
        m.stored.inc(result.stored)
        m.duplicates.inc(result.duplicates)
        for letter in (*batch.dead_letters, *result.refused_letters):
            m.dead_lettered.labels(letter.code).inc()
        for device, letters in result.dead_letters_suppressed.items():
            m.dead_letters_suppressed.inc(letters)
            _LOGGER.debug("device %s: %s dead letters over its hourly quota", device, letters)
        for channel, count in batch.ts_clamped.items():
            m.ts_clamped.labels(channel).inc(count)
        for channel, count in batch.retained_ignored.items():
            m.retained_ignored.labels(channel).inc(count)
        for device, gaps in result.gaps_opened.items():
            m.seq_gaps_opened.inc(len(gaps))
            _LOGGER.warning("device %s: seq gap(s) opened %s", device, gaps)
        for device, lost in result.lost.items():
            count = sum(b - a + 1 for a, b in lost)
            m.seq_lost.inc(count)
            _LOGGER.error(
                "device %s declared %s event(s) dropped, seq %s: counted as lost",
                device,
                count,
                lost,
            )
        m.acks_published.inc(publish_acks(self._subscriber, result.acked))
        if self._after_commit is not None:
            try:
                await self._after_commit(batch, result)
            except Exception:
                _LOGGER.exception("after-commit hook failed (ingest goes on)")
        return result

    async def _commit(self, batch: IngestBatch) -> BatchResult:
        attempt = 0
        while True:
            try:
                return await write_batch(self._driver, batch, self._limits)
            except TransientStorageError as exc:
                delay = _RETRY_DELAYS[min(attempt, len(_RETRY_DELAYS) - 1)]
                attempt += 1
                self._metrics.commit_retries.inc()
                _LOGGER.warning("commit failed (%s); retry %s in %.2f s", exc, attempt, delay)
                await asyncio.sleep(delay)
