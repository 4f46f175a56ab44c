"""Decoding and encoding of payloads for a topic, with the checks PROTOCOL.md makes normative.

``decode`` is the single entry point for untrusted bytes: anything wrong raises
:class:`ProtocolError` (or its subclass :class:`EventRejected` when an event's envelope is sound
but its type, time or body is not), never another exception.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ValidationError

from protocols.base import WireModel
from protocols.commands import (
    Ack,
    Command,
    CommandResult,
    DayKeySet,
    Identify,
    Ping,
    ReloadConfig,
    SetLocation,
)
from protocols.errors import EventRejected, ProtocolError
from protocols.events import EVENT_TYPES, MAX_SEQ, Event
from protocols.identifiers import is_valid_id
from protocols.telemetry import Heartbeat, Location, State
from protocols.topics import Channel, Topic

MAX_PAYLOAD_BYTES = 16 * 1024

Message = Event | Heartbeat | Location | State | Command | CommandResult | Ack

COMMAND_TYPES: dict[str, type[WireModel]] = {
    "identify": Identify,
    "reload_config": ReloadConfig,
    "set_location": SetLocation,
    "ping": Ping,
    "day_key.set": DayKeySet,
}
ENVELOPE_TYPES: dict[Channel, dict[str, type[WireModel]]] = {
    Channel.EVENTS: EVENT_TYPES,
    Channel.HEARTBEAT: {"heartbeat": Heartbeat},
    Channel.LOCATION: {"location": Location},
    Channel.COMMANDS: COMMAND_TYPES,
    Channel.COMMAND_RESULTS: {"command.result": CommandResult},
}
DOCUMENT_TYPES: dict[Channel, type[WireModel]] = {Channel.STATE: State, Channel.ACKS: Ack}


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _first_error(exc: ValidationError) -> tuple[str, str]:
    err = exc.errors(include_url=False, include_input=False)[0]
    loc = ".".join(str(p) for p in err["loc"])
    code = err["type"]
    return code, f"{loc}: {err['msg']}" if loc else err["msg"]


def _load_object(payload: bytes) -> dict[str, Any]:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ProtocolError(
            "oversize", f"payload is {len(payload)} bytes; the limit is {MAX_PAYLOAD_BYTES}"
        )
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("not_utf8", "payload is not UTF-8") from None
    try:
        obj = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise ProtocolError("invalid_json", "payload is not valid JSON") from None
    if not isinstance(obj, dict):
        raise ProtocolError("not_object", "payload must be a JSON object")
    return obj


def _check_version(obj: dict[str, Any]) -> None:
    v = obj.get("v")
    if type(v) is not int or v != 1:
        raise ProtocolError("bad_version", "v must be 1")


def _check_device(obj: dict[str, Any], topic: Topic) -> str:
    device = obj.get("device")
    if not isinstance(device, str) or not is_valid_id(device):
        raise ProtocolError("bad_device_id", "device must be a valid device id")
    if device != topic.device:
        raise ProtocolError("device_mismatch", "envelope device differs from the topic's device_id")
    return device


def _check_id(obj: dict[str, Any]) -> str:
    value = obj.get("id")
    if not isinstance(value, str):
        raise ProtocolError("bad_id", "id must be a UUID string")
    try:
        return str(UUID(value))
    except ValueError:
        raise ProtocolError("bad_id", "id must be a UUID string") from None


def _validate(model: type[WireModel], obj: dict[str, Any]) -> WireModel:
    try:
        return model.model_validate(obj)
    except ValidationError as exc:
        raise ProtocolError(*_first_error(exc)) from None


def _decode_event(obj: dict[str, Any], topic: Topic) -> WireModel:
    message_id = _check_id(obj)
    device = _check_device(obj, topic)
    if "seq" not in obj:
        raise ProtocolError("missing_seq", "seq is required on events")
    seq = obj["seq"]
    if type(seq) is not int or seq < 1:
        raise ProtocolError("bad_seq", "seq must be an integer >= 1")
    if seq > MAX_SEQ:
        raise ProtocolError("bad_seq", f"seq must be at most {MAX_SEQ}")
    # From here on the envelope is sound: failures count as received for this seq.
    kind = obj.get("type")
    model = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if model is None:
        raise EventRejected(
            "unknown_type",
            f"unknown event type {str(kind)[:40]!r}",
            device=device,
            message_id=message_id,
            seq=seq,
        )
    try:
        return model.model_validate(obj)
    except ValidationError as exc:
        code, reason = _first_error(exc)
        raise EventRejected(code, reason, device=device, message_id=message_id, seq=seq) from None


def decode(topic: str | Topic, payload: bytes) -> Message:
    """Parse and validate ``payload`` received on ``topic``; raise :class:`ProtocolError`."""
    parsed = topic if isinstance(topic, Topic) else Topic.parse(topic)
    obj = _load_object(payload)
    _check_version(obj)
    channel = parsed.channel
    if channel in DOCUMENT_TYPES:
        _check_device(obj, parsed)
        return _validate(DOCUMENT_TYPES[channel], obj)  # type: ignore[return-value]
    if channel is Channel.EVENTS:
        return _decode_event(obj, parsed)  # type: ignore[return-value]
    if "seq" in obj:
        raise ProtocolError("seq_not_allowed", f"seq is only allowed on events, not {channel}")
    _check_id(obj)
    _check_device(obj, parsed)
    kind = obj.get("type")
    model = ENVELOPE_TYPES[channel].get(kind) if isinstance(kind, str) else None
    if model is None:
        raise ProtocolError(
            "unknown_type", f"type {str(kind)[:40]!r} is not valid on the {channel} topic"
        )
    return _validate(model, obj)  # type: ignore[return-value]


def encode(message: BaseModel) -> bytes:
    """Serialize ``message`` to its wire form; raise :class:`ProtocolError` if it is oversize."""
    data = message.model_dump_json(exclude_none=False).encode("utf-8")
    if len(data) > MAX_PAYLOAD_BYTES:
        raise ProtocolError(
            "oversize", f"payload is {len(data)} bytes; the limit is {MAX_PAYLOAD_BYTES}"
        )
    return data
