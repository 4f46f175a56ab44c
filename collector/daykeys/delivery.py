"""Delivery of cf2 day keys over each device's ``commands`` topic (PROTOCOL.md "Visitor
pseudonym": the central side delivers the next day's key before the office-local midnight).

Every ``CF_DAY_KEY_INTERVAL_S`` the collector looks at each registered device and the office-local
dates today and tomorrow (``CF_OFFICE_TIMEZONE``). A key that device has not acknowledged is sent
as a ``day_key.set`` command (expiring at the end of its day) and sent again, with the same id,
every ``CF_DAY_KEY_RESEND_S`` until the device's ``command.result`` says ok. Today's key is
included so that a new device, or one moving from cf1, has a key at once.

The key is a secret: it exists only in the command payload on that device's own TLS-protected,
ACL-confined ``commands`` topic. It is not stored (derived again from the pepper for a resend),
not logged, and the ``commands`` row shows it redacted. With several collector processes, a
compare-and-set on ``sent_ms`` lets one of them send each (re)delivery.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from collector.config import Settings
from collector.errors import StorageError
from collector.storage import Driver, Row
from protocols import Channel, DayKeySet, DayKeySetBody, encode, new_message_id, topic
from protocols.pseudonym import CURRENT_SCHEME, cf2_day_key

_LOGGER = logging.getLogger(__name__)

REDACTED = "(secret: sent to the device only)"

Publish = Callable[[str, bytes, Channel], None]


def office_days(now: datetime, tz: ZoneInfo) -> tuple[date, date]:
    """The office-local today and tomorrow at ``now``."""
    today = now.astimezone(tz).date()
    return today, today + timedelta(days=1)


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The office-local midnight that ends ``day``."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


async def mark_acknowledged(driver: Driver) -> int:
    """Copy ok results of day_key.set commands onto their deliveries; returns how many."""
    async with driver.transaction() as tx:
        changed: int = await tx.execute(
            "UPDATE day_key_deliveries SET acked_ms = (SELECT c.result_ms FROM commands c "
            "WHERE c.id = day_key_deliveries.command_id AND c.result_ok = 1) "
            "WHERE acked_ms IS NULL AND command_id IN "
            "(SELECT id FROM commands WHERE type = 'day_key.set' AND result_ok = 1)"
        )
    return changed


class DayKeyDelivery:
    """The periodic task; :meth:`tick` does one pass (tests call it directly)."""

    def __init__(
        self,
        driver: Driver,
        settings: Settings,
        pepper: bytes,
        *,
        publish: Publish,
        connected: Callable[[], bool],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._driver = driver
        self._settings = settings
        self._pepper = pepper
        self._publish = publish
        self._connected = connected
        self._clock = clock
        self._tz = ZoneInfo(settings.office_timezone)
        self._task: asyncio.Task[None] | None = None
        self.sent = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="day-key-delivery")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except (StorageError, OSError) as exc:
                _LOGGER.warning("day-key delivery pass failed, retrying: %s", exc)
            except Exception:  # the task must outlive any one bad pass
                _LOGGER.exception("day-key delivery pass failed")
            await asyncio.sleep(self._settings.day_key_interval_s)

    async def tick(self) -> int:
        """Record acks, then send each key due; returns how many commands were published."""
        await mark_acknowledged(self._driver)
        if not self._connected():
            return 0
        now = self._clock()
        days = office_days(now, self._tz)
        devices = await self._driver.fetch("SELECT device_id, office_id FROM devices")
        rows = await self._driver.fetch(
            "SELECT * FROM day_key_deliveries WHERE day IN (?, ?)",
            days[0].isoformat(),
            days[1].isoformat(),
        )
        known = {(r["device_id"], r["office_id"], r["day"]): r for r in rows}
        sent = 0
        for device in devices:
            for day in days:
                row = known.get((device["device_id"], device["office_id"], day.isoformat()))
                if row is not None and row["acked_ms"] is not None:
                    continue
                if await self._deliver(device["device_id"], device["office_id"], day, row, now):
                    sent += 1
        self.sent += sent
        return sent

    async def _deliver(
        self, device_id: str, office_id: str, day: date, row: Row | None, now: datetime
    ) -> bool:
        now_ms = _ms(now)
        resend_ms = int(self._settings.day_key_resend_s * 1000)
        if row is not None and now_ms - int(row["sent_ms"]) < resend_ms:
            return False
        if row is None:
            command = self._command(device_id, office_id, day, new_message_id(), now)
            if not await self._claim_new(command, now_ms):
                return False
        else:
            command = self._command(device_id, office_id, day, row["command_id"], now)
            async with self._driver.transaction() as tx:
                claimed = await tx.execute(
                    "UPDATE day_key_deliveries SET sent_ms = ?, attempts = attempts + 1 "
                    "WHERE device_id = ? AND office_id = ? AND day = ? AND sent_ms = ? "
                    "AND acked_ms IS NULL",
                    now_ms,
                    device_id,
                    office_id,
                    day.isoformat(),
                    row["sent_ms"],
                )
            if not claimed:
                return False  # another collector process took this resend
        self._publish(topic(device_id, Channel.COMMANDS), encode(command), Channel.COMMANDS)
        _LOGGER.info(
            "sent the %s day key for %s to %s (office %s, command %s)",
            CURRENT_SCHEME,
            day,
            device_id,
            office_id,
            command.id,
        )
        return True

    def _command(
        self, device_id: str, office_id: str, day: date, command_id: object, now: datetime
    ) -> DayKeySet:
        key = cf2_day_key(self._pepper, office_id, day)
        body = DayKeySetBody(
            expires=end_of_day(day, self._tz),
            scheme="cf2",
            office=office_id,
            date=day,
            key=key.hex(),
        )
        return DayKeySet(v=1, id=command_id, device=device_id, ts=now, body=body)  # type: ignore[arg-type]

    async def _claim_new(self, command: DayKeySet, now_ms: int) -> bool:
        body = command.body
        shown = json.loads(body.model_dump_json())
        shown["key"] = REDACTED
        async with self._driver.transaction() as tx:
            inserted = await tx.insert_ignore(
                "day_key_deliveries",
                [
                    ("device_id", "text"),
                    ("office_id", "text"),
                    ("day", "text"),
                    ("scheme", "text"),
                    ("command_id", "text"),
                    ("expires_ms", "bigint"),
                    ("first_sent_ms", "bigint"),
                    ("sent_ms", "bigint"),
                    ("attempts", "integer"),
                ],
                [
                    (
                        command.device,
                        body.office,
                        body.date.isoformat(),
                        body.scheme,
                        str(command.id),
                        _ms(body.expires),
                        now_ms,
                        now_ms,
                        1,
                    )
                ],
            )
            if inserted:
                await tx.execute(
                    "INSERT INTO commands (id, device_id, type, body, created_ms) "
                    "VALUES (?, ?, ?, ?, ?)",
                    str(command.id),
                    command.device,
                    command.type,
                    json.dumps(shown),
                    now_ms,
                )
        return bool(inserted)
