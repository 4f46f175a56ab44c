"""Commands sent to a registered device before it ever connected, resent when it first does.

A device's MQTT session (persistent, clean start false) exists at the broker only from its first
connection on: a command published before that reaches no session and is dropped, while the API
answered 202. Such a command stays in ``commands`` without a result. When ingest hears from the
device, every command of it that was created before the device was first seen, has no result and
has not expired is published again with its own id (the device answers it once, as usual).

Each command is resent at most once per collector process (a restart resends once more: the
commands concerned — ping, identify, reload_config, set_location — are idempotent). Commands to
a device that had been seen before are never resent: its broker session queues them. ``day_key.set``
is not handled here: day-key delivery resends its own until acknowledged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from collector.storage import Driver, Row
from protocols import Channel, Identify, Ping, ReloadConfig, SetLocation, encode, topic

_LOGGER = logging.getLogger(__name__)

Command = Identify | ReloadConfig | SetLocation | Ping
MODELS: dict[str, type[Command]] = {
    "identify": Identify,
    "reload_config": ReloadConfig,
    "set_location": SetLocation,
    "ping": Ping,
}
MAX_EXPIRY_MS = 86_400_000  # the API's longest expires_in_s: older commands have expired
_CHUNK = 500  # devices per query

Publish = Callable[[str, bytes, Channel], None]


def rebuild(row: Row) -> Command:
    """The command as first published: same id, device, time and body."""
    model = MODELS[str(row["type"])]
    ts = datetime.fromtimestamp(int(row["created_ms"]) / 1000, UTC)
    return model.model_validate(
        {
            "v": 1,
            "id": row["id"],
            "device": row["device_id"],
            "ts": ts,
            "body": json.loads(str(row["body"])),
        }
    )


class PendingCommands:
    def __init__(self, driver: Driver, publish: Publish) -> None:
        self._driver = driver
        self._publish = publish
        self._resent: set[str] = set()

    async def _pending(self, devices: list[str]) -> list[Row]:
        marks = ", ".join("?" for _ in devices)
        types = ", ".join("?" for _ in MODELS)
        return await self._driver.fetch(
            "SELECT c.id, c.device_id, c.type, c.body, c.created_ms FROM commands c "  # noqa: S608
            "JOIN fleet_state f ON f.device_id = c.device_id "
            f"WHERE c.device_id IN ({marks}) AND c.type IN ({types}) AND c.result_ms IS NULL "
            "AND c.created_ms < f.first_seen_ms AND c.created_ms >= f.first_seen_ms - ? "
            "ORDER BY c.created_ms",
            *devices,
            *MODELS,
            MAX_EXPIRY_MS,
        )

    async def heard_from(self, devices: Iterable[str]) -> int:
        """After a commit: resend what ``devices`` missed before they first connected."""
        wanted = sorted(set(devices))
        now = datetime.now(UTC)
        sent = 0
        for start in range(0, len(wanted), _CHUNK):
            for row in await self._pending(wanted[start : start + _CHUNK]):
                if row["id"] in self._resent:
                    continue
                self._resent.add(str(row["id"]))
                command = rebuild(row)
                if command.body.expired(now):
                    continue  # the device would refuse it; the list shows no result
                self._publish(
                    topic(command.device, Channel.COMMANDS), encode(command), Channel.COMMANDS
                )
                sent += 1
                _LOGGER.info(
                    "resent command %s (%s) to %s: created before its first connection",
                    command.id,
                    command.type,
                    command.device,
                )
        return sent
