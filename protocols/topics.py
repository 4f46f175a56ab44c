"""MQTT topic names: builders, the parser, subscription filters, and each channel's QoS/retain."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from protocols.errors import ProtocolError
from protocols.plain import check_device_id

PREFIX = "cf/v1/devices"
SHARED_GROUP = "collectors"


class Channel(StrEnum):
    EVENTS = "events"
    HEARTBEAT = "heartbeat"
    LOCATION = "location"
    STATE = "state"
    COMMANDS = "commands"
    COMMAND_RESULTS = "command-results"
    ACKS = "acks"


DEVICE_TO_COLLECTOR = (
    Channel.EVENTS,
    Channel.HEARTBEAT,
    Channel.LOCATION,
    Channel.STATE,
    Channel.COMMAND_RESULTS,
)
COLLECTOR_TO_DEVICE = (Channel.COMMANDS, Channel.ACKS)

QOS: dict[Channel, int] = {
    Channel.EVENTS: 1,
    Channel.HEARTBEAT: 0,
    Channel.LOCATION: 1,
    Channel.STATE: 1,
    Channel.COMMANDS: 1,
    Channel.COMMAND_RESULTS: 1,
    Channel.ACKS: 1,
}
RETAINED: dict[Channel, bool] = {
    Channel.EVENTS: False,
    Channel.HEARTBEAT: False,
    Channel.LOCATION: True,
    Channel.STATE: True,
    Channel.COMMANDS: False,
    Channel.COMMAND_RESULTS: False,
    Channel.ACKS: True,
}


@dataclass(frozen=True, slots=True)
class Topic:
    """One device's topic on one channel; ``str(topic)`` is the MQTT topic name."""

    device: str
    channel: Channel

    def __post_init__(self) -> None:
        check_device_id(self.device)

    def __str__(self) -> str:
        return f"{PREFIX}/{self.device}/{self.channel.value}"

    @classmethod
    def parse(cls, name: str) -> Topic:
        """Parse an MQTT topic name; raise :class:`ProtocolError` if it is not a v1 device topic."""
        parts = name.split("/")
        if len(parts) != 5 or "/".join(parts[:3]) != PREFIX:
            raise ProtocolError("bad_topic", f"topic must be {PREFIX}/<device_id>/<channel>")
        try:
            channel = Channel(parts[4])
        except ValueError:
            raise ProtocolError(
                "unknown_channel",
                f"unknown channel {parts[4][:40]!r}; expected one of "
                + ", ".join(c.value for c in Channel),
            ) from None
        return cls(check_device_id(parts[3]), channel)


def topic(device: str, channel: Channel) -> str:
    """The MQTT topic name for ``device`` on ``channel``."""
    return str(Topic(device, channel))


def subscription(channel: Channel, *, device: str = "+", shared_group: str | None = None) -> str:
    """A subscription filter for ``channel`` of one device or all (``+``), optionally shared."""
    if device != "+":
        check_device_id(device)
    name = f"{PREFIX}/{device}/{channel.value}"
    return f"$share/{shared_group}/{name}" if shared_group else name
