"""The running collector: database, MQTT subscriber and batcher, started and stopped together.

The HTTP app's lifespan owns one :class:`Collector`; routes reach it through ``api/deps.py``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from typing import TYPE_CHECKING

from collector.config import Settings
from collector.daykeys.pepper import load_pepper
from collector.ingest.batcher import Batcher
from collector.ingest.decode_pool import DecodePool
from collector.ingest.inbox import Inbox
from collector.ingest.subscriber import Subscriber
from collector.ingest.worker_counters import CounterMerger
from collector.ingest.workers import WorkerPool
from collector.limits import IngestLimits
from collector.metrics import Metrics
from collector.pending_commands import PendingCommands
from collector.pins import offices_of_devices, recompute_office_pin
from collector.reader_mode import check_reader_schema
from collector.records import BatchResult, IngestBatch, RawMessage
from collector.storage import Driver, open_driver
from collector.tokens import sync_bootstrap
from protocols import Channel

if TYPE_CHECKING:  # imported when started: ingest must not wait for httpx, SMTP and sealing
    from collector.cases.service import Cases
    from collector.daykeys.delivery import DayKeyDelivery

_LOGGER = logging.getLogger(__name__)
_CHANNELS = frozenset(c.value for c in Channel)


class Collector:
    def __init__(self, settings: Settings, *, ingest: bool = True, worker_index: int = 0) -> None:
        self.settings = settings
        # A reader (CF_ROLE=reader) serves the API from a read replica: no ingest ever.
        self.ingest = ingest and not settings.reader
        self.worker_index = worker_index
        self.workers: WorkerPool | None = None
        self.metrics = Metrics()
        self._driver: Driver | None = None
        self.subscriber: Subscriber | None = None
        self.batcher: Batcher | None = None
        self._decoder: DecodePool | None = None
        self.day_keys: DayKeyDelivery | None = None
        self.pending_commands: PendingCommands | None = None
        self.cases: Cases | None = None

    @property
    def driver(self) -> Driver:
        if self._driver is None:
            raise RuntimeError("the collector is not started")
        return self._driver

    def _client_id(self) -> str:
        if self.settings.ingest_workers > 1:
            # Supervised workers keep a persistent session each, under a fixed id per index.
            return f"{self.settings.mqtt_client_id}-w{self.worker_index}"
        if self.settings.mqtt_shared_group:
            # Shared workers use clean start, so each process gets its own id.
            return f"{self.settings.mqtt_client_id}-{socket.gethostname()}-{os.getpid()}"[:64]
        return self.settings.mqtt_client_id

    async def start(self) -> None:
        """Open the database, start ingest, then the parts ingest does not need (complaint
        forwarding, day-key delivery): their imports (httpx, SMTP, sealing) take a few tenths of
        a second that a collector restarting after an outage spends draining instead."""
        # The pepper is checked before anything else starts: a readable pepper is refused.
        pepper = load_pepper(self.settings.pepper_file) if self.settings.pepper_file else None
        self._driver = await open_driver(self.settings, run_migrations=not self.settings.reader)
        if self.settings.reader:  # no migrations, no bootstrap token, no background writers
            await check_reader_schema(self._driver)
            return
        await sync_bootstrap(self._driver, self.settings.bootstrap_ops_token)
        if self.ingest:
            self._start_ingest()
        if self.worker_index == 0:  # extra ingest workers run ingest only
            from collector.cases.service import start_cases  # noqa: PLC0415 (after ingest)

            self.cases = start_cases(self._driver, self.metrics.registry)  # complaints → 1111
        if not self.ingest:
            return
        if self.settings.ingest_workers > 1 and self.worker_index == 0:
            counters = CounterMerger(self.metrics.counters())
            self.workers = WorkerPool(self.settings.ingest_workers - 1, counters)
            self.workers.start()
        if self.worker_index > 0:
            return
        if pepper is None:
            _LOGGER.info("CF_PEPPER_FILE not set: no day-key delivery (Ansible refreshes keys)")
            return
        from collector.daykeys.delivery import DayKeyDelivery  # noqa: PLC0415 (see above)

        subscriber = self.subscriber
        assert subscriber is not None
        self.day_keys = DayKeyDelivery(
            self._driver,
            self.settings,
            pepper,
            publish=subscriber.publish,
            connected=lambda: subscriber.ready,
        )
        self.day_keys.start()

    def _start_ingest(self) -> None:
        """Subscribe and start the batcher (the decode worker warms up in the background)."""
        assert self._driver is not None
        inbox = Inbox(
            asyncio.get_running_loop(),
            batch_max=self.settings.batch_max,
            window_s=self.settings.batch_window_ms / 1000,
            qos0_max=self.settings.ingest_qos0_max,
            on_drop=self._inbox_dropped,
        )
        self.subscriber = Subscriber(self.settings, inbox, client_id=self._client_id())
        # With several ingest workers, each decodes inline: the workers are the parallelism.
        decoders = self.settings.decode_workers if self.settings.ingest_workers == 1 else 0
        self._decoder = DecodePool(decoders, IngestLimits.from_settings(self.settings))
        self._decoder.start()  # warms up in the background; inline decoding meanwhile
        self.batcher = Batcher(
            inbox,
            self._driver,
            self.subscriber,
            self.metrics,
            after_commit=self._after_commit,
            decoder=self._decoder,
            retention_s=self.settings.dead_letter_retention_days * 86400,
        )
        self.pending_commands = PendingCommands(self._driver, self.subscriber.publish)
        self.batcher.start()
        self.subscriber.start()

    async def stop(self) -> None:
        if self.workers is not None:
            await self.workers.stop()
        if self.cases is not None:
            await self.cases.stop()
            self.cases = None
        if self.day_keys is not None:
            await self.day_keys.stop()
        if self.batcher is not None:
            await self.batcher.stop()
        if self.subscriber is not None:
            await asyncio.to_thread(self.subscriber.stop)
        if self._decoder is not None:
            self._decoder.close()
        if self._driver is not None:
            await self._driver.close()
            self._driver = None

    def _inbox_dropped(self, message: RawMessage) -> None:
        """Paho thread: a QoS 0 message found the inbox full (counted, never logged per message)."""
        channel = message.topic.rsplit("/", 1)[-1]
        known = channel in _CHANNELS  # a label per topic would let a sender grow the registry
        self.metrics.inbox_dropped.labels(channel if known else "invalid").inc()

    async def _after_commit(self, batch: IngestBatch, result: BatchResult) -> None:
        if self.pending_commands is not None and batch.seen:
            await self.pending_commands.heard_from(batch.seen)
        if not result.location_devices:
            return
        for office_id in await offices_of_devices(self.driver, result.location_devices):
            await recompute_office_pin(self.driver, office_id, self.settings)

    async def readiness(self) -> dict[str, bool]:
        db = self._driver is not None and await self._driver.ping()
        broker = (not self.ingest) or (
            self.subscriber is not None
            and self.subscriber.ready
            and (self.workers is None or self.workers.ready)
        )
        return {"database": db, "broker": broker}
