"""The background task of the collector process that empties the case outbox.

It claims due rows as delivery slots free up (at most ``CF_CASES_CONCURRENCY`` in flight; idle, it
looks again every ``CF_CASES_INTERVAL_S``), builds each payload (opening the sealed contact only
for this send), hands it to the configured transport and records the answer. Once an hour it
purges the contacts of cases closed longer than the retention period. With
``CF_CASES_TRANSPORT=none`` cases are kept in the outbox (nothing is lost) and only the purge runs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter

from collector.cases import outbox
from collector.cases.email_transport import EmailTransport
from collector.cases.model import CaseContact
from collector.cases.payload import build_payload, encode, office_of
from collector.cases.purge import forget_callbacks, purge_contacts
from collector.cases.sealing import ContactSealer, ContactSealError
from collector.cases.settings import CaseSettings
from collector.cases.transport import DeliveryFailedError, Transport
from collector.cases.webhook import WebhookTransport
from collector.errors import StorageError
from collector.storage import Driver

_LOGGER = logging.getLogger(__name__)
_PURGE_EVERY_MS = 3_600_000


def make_transport(settings: CaseSettings) -> Transport | None:
    if settings.cases_transport == "webhook":
        return WebhookTransport(settings)
    if settings.cases_transport == "email":
        return EmailTransport(settings)
    return None


def _now_ms() -> int:
    return int(time.time() * 1000)


class _Counters:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.delivered = Counter(
            "cf_cases_delivered", "cases the 1111 centre took", registry=registry
        )
        self.failed = Counter(
            "cf_cases_delivery_failed", "failed delivery attempts of cases", registry=registry
        )
        self.dead = Counter("cf_cases_dead_lettered", "cases dead-lettered", registry=registry)


class CaseForwarder:
    """The periodic task; :meth:`tick` is one pass (tests call it directly)."""

    def __init__(
        self,
        driver: Driver,
        settings: CaseSettings,
        sealer: ContactSealer,
        *,
        transport: Transport | None,
        registry: CollectorRegistry | None = None,
        clock: Callable[[], int] = _now_ms,
    ) -> None:
        self._driver = driver
        self._settings = settings
        self._sealer = sealer
        self.transport = transport
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._last_purge_ms = 0
        self._counters = _Counters(registry or CollectorRegistry())

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="case-forwarder")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self.transport is not None:
            await self.transport.close()

    async def _run(self) -> None:
        """Keep up to ``CF_CASES_CONCURRENCY`` deliveries in flight; a slow one holds only its own
        slot. Idle (nothing due, nothing finished) it waits ``CF_CASES_INTERVAL_S``."""
        in_flight: set[asyncio.Task[None]] = set()
        try:
            while True:
                claimed = 0
                try:
                    claimed = await self._launch(in_flight)
                    await self.maybe_purge()
                except (StorageError, OSError) as exc:
                    _LOGGER.warning("case forwarding pass failed, retrying: %s", exc)
                except Exception:  # the task must outlive any one bad pass
                    _LOGGER.exception("case forwarding pass failed")
                full = len(in_flight) >= self._settings.cases_concurrency
                if in_flight and (full or not claimed):
                    await asyncio.wait(
                        in_flight,
                        timeout=self._settings.cases_interval_s,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                elif not claimed:
                    await asyncio.sleep(self._settings.cases_interval_s)
        finally:
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)

    async def _launch(self, in_flight: set[asyncio.Task[None]]) -> int:
        free = self._settings.cases_concurrency - len(in_flight)
        if self.transport is None or free <= 0:
            return 0
        claimed = await outbox.claim(
            self._driver,
            now_ms=self._clock(),
            lease_ms=int(self._settings.cases_lease_s * 1000),
            limit=min(free, self._settings.cases_batch),
        )
        for item in claimed:
            task = asyncio.create_task(self._deliver_logged(item), name="case-delivery")
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
        return len(claimed)

    async def _deliver_logged(self, item: outbox.Claimed) -> None:
        try:
            await self._deliver(item)
        except Exception:  # recorded nowhere else; the lease expires and it is tried again
            _LOGGER.exception("case delivery failed", extra={"case_id": item.case_id})

    async def maybe_purge(self) -> int:
        now = self._clock()
        if now - self._last_purge_ms < _PURGE_EVERY_MS:
            return 0
        self._last_purge_ms = now
        purged = await purge_contacts(
            self._driver, now_ms=now, retention_days=self._settings.cases_contact_retention_days
        )
        await forget_callbacks(
            self._driver, now_ms=now, window_s=self._settings.cases_callback_window_s
        )
        if purged:
            _LOGGER.info("case contacts purged after retention", extra={"count": purged})
        return purged

    async def tick(self) -> int:
        """Claim and deliver one batch; return how many rows were claimed."""
        if self.transport is None:
            return 0
        s = self._settings
        claimed = await outbox.claim(
            self._driver,
            now_ms=self._clock(),
            lease_ms=int(s.cases_lease_s * 1000),
            limit=s.cases_batch,
        )
        if not claimed:
            return 0
        gate = asyncio.Semaphore(s.cases_concurrency)

        async def one(item: outbox.Claimed) -> None:
            async with gate:
                await self._deliver(item)

        await asyncio.gather(*(one(c) for c in claimed))
        return len(claimed)

    async def _contact(self, case_id: str, has_contact: int) -> CaseContact | None:
        if not has_contact:
            return None
        row = await self._driver.fetchrow(
            "SELECT key_id, sealed FROM case_contacts WHERE case_id = ?", case_id
        )
        if row is None:  # purged (the case closed long ago): forward without it
            return None
        return self._sealer.open(case_id, str(row["key_id"]), bytes(row["sealed"]))

    async def _deliver(self, item: outbox.Claimed) -> None:
        assert self.transport is not None
        case = await self._driver.fetchrow(
            "SELECT c.*, o.idempotency_key FROM cases c JOIN case_outbox o "
            "ON o.case_id = c.case_id WHERE c.case_id = ?",
            item.case_id,
        )
        if case is None:
            return
        try:
            contact = await self._contact(item.case_id, int(case["has_contact"]))
            office = await office_of(self._driver, str(case["office_id"]))
            payload = build_payload(
                case, office, contact, round_min=self._settings.cases_window_round_min
            )
            answer = await self.transport.deliver(item.idempotency_key, payload, encode(payload))
        except (DeliveryFailedError, ContactSealError) as exc:
            retry_after = exc.retry_after_s if isinstance(exc, DeliveryFailedError) else None
            dead = await outbox.mark_failed(
                self._driver,
                item,
                reason=str(exc),
                retry_after_s=retry_after,
                settings=self._settings,
                now_ms=self._clock(),
            )
            self._counters.failed.inc()
            if dead:
                self._counters.dead.inc()
                _LOGGER.warning(
                    "case dead-lettered", extra={"case_id": item.case_id, "reason": str(exc)}
                )
            return
        await outbox.mark_delivered(
            self._driver,
            item.case_id,
            transport=answer.transport,
            centre_ref=answer.centre_ref,
            now_ms=self._clock(),
        )
        self._counters.delivered.inc()
