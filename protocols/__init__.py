"""Wire protocol v1 (docs/PROTOCOL.md), defined once; the agent and the collector import it.

Every name below is imported from its submodule on first use (PEP 562), so that importing
``protocols.topics`` or ``protocols.plain`` does not build the pydantic models: the counter
agent sends its messages without pydantic (issue 14, agent footprint). ``from protocols import
Rating`` works as before.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from protocols.codec import MAX_PAYLOAD_BYTES, Message, decode, encode
    from protocols.commands import (
        Ack,
        Command,
        CommandResult,
        CommandResultBody,
        DayKeySet,
        DayKeySetBody,
        Identify,
        IdentifyBody,
        Ping,
        PingBody,
        ReloadConfig,
        ReloadConfigBody,
        SetLocation,
        SetLocationBody,
    )
    from protocols.errors import EventRejected, ProtocolError
    from protocols.events import (
        CopyMade,
        CopyMadeBody,
        CopyRequested,
        CopyRequestedBody,
        Event,
        Fault,
        FaultBody,
        OutboxDropped,
        OutboxDroppedBody,
        Rating,
        RatingBody,
        SessionEnded,
        SessionEndedBody,
        SessionStarted,
        SessionStartedBody,
    )
    from protocols.plain import ICT, is_valid_id, new_message_id, now
    from protocols.pseudonym import (
        DayKey,
        cf2_day_key,
        cf2_visitor_pseudonym,
        day_key,
        visitor_pseudonym,
    )
    from protocols.telemetry import Heartbeat, HeartbeatBody, Location, LocationBody, State
    from protocols.topics import Channel, Topic, subscription, topic

_HOMES: dict[str, str] = {
    "MAX_PAYLOAD_BYTES": "protocols.codec",
    "Message": "protocols.codec",
    "decode": "protocols.codec",
    "encode": "protocols.codec",
    "Ack": "protocols.commands",
    "Command": "protocols.commands",
    "CommandResult": "protocols.commands",
    "CommandResultBody": "protocols.commands",
    "DayKeySet": "protocols.commands",
    "DayKeySetBody": "protocols.commands",
    "Identify": "protocols.commands",
    "IdentifyBody": "protocols.commands",
    "Ping": "protocols.commands",
    "PingBody": "protocols.commands",
    "ReloadConfig": "protocols.commands",
    "ReloadConfigBody": "protocols.commands",
    "SetLocation": "protocols.commands",
    "SetLocationBody": "protocols.commands",
    "EventRejected": "protocols.errors",
    "ProtocolError": "protocols.errors",
    "CopyMade": "protocols.events",
    "CopyMadeBody": "protocols.events",
    "CopyRequested": "protocols.events",
    "CopyRequestedBody": "protocols.events",
    "Event": "protocols.events",
    "Fault": "protocols.events",
    "FaultBody": "protocols.events",
    "OutboxDropped": "protocols.events",
    "OutboxDroppedBody": "protocols.events",
    "Rating": "protocols.events",
    "RatingBody": "protocols.events",
    "SessionEnded": "protocols.events",
    "SessionEndedBody": "protocols.events",
    "SessionStarted": "protocols.events",
    "SessionStartedBody": "protocols.events",
    "ICT": "protocols.plain",
    "is_valid_id": "protocols.plain",
    "new_message_id": "protocols.plain",
    "now": "protocols.plain",
    "DayKey": "protocols.pseudonym",
    "cf2_day_key": "protocols.pseudonym",
    "cf2_visitor_pseudonym": "protocols.pseudonym",
    "day_key": "protocols.pseudonym",
    "visitor_pseudonym": "protocols.pseudonym",
    "Heartbeat": "protocols.telemetry",
    "HeartbeatBody": "protocols.telemetry",
    "Location": "protocols.telemetry",
    "LocationBody": "protocols.telemetry",
    "State": "protocols.telemetry",
    "Channel": "protocols.topics",
    "Topic": "protocols.topics",
    "subscription": "protocols.topics",
    "topic": "protocols.topics",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'protocols' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})


__all__ = [
    "ICT",
    "MAX_PAYLOAD_BYTES",
    "Ack",
    "Channel",
    "Command",
    "CommandResult",
    "CommandResultBody",
    "CopyMade",
    "CopyMadeBody",
    "CopyRequested",
    "CopyRequestedBody",
    "DayKey",
    "DayKeySet",
    "DayKeySetBody",
    "Event",
    "EventRejected",
    "Fault",
    "FaultBody",
    "Heartbeat",
    "HeartbeatBody",
    "Identify",
    "IdentifyBody",
    "Location",
    "LocationBody",
    "Message",
    "OutboxDropped",
    "OutboxDroppedBody",
    "Ping",
    "PingBody",
    "ProtocolError",
    "Rating",
    "RatingBody",
    "ReloadConfig",
    "ReloadConfigBody",
    "SessionEnded",
    "SessionEndedBody",
    "SessionStarted",
    "SessionStartedBody",
    "SetLocation",
    "SetLocationBody",
    "State",
    "Topic",
    "cf2_day_key",
    "cf2_visitor_pseudonym",
    "day_key",
    "decode",
    "encode",
    "is_valid_id",
    "new_message_id",
    "now",
    "subscription",
    "topic",
    "visitor_pseudonym",
]
