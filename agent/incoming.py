"""What the agent receives, read without pydantic: end-to-end acks and commands.

The rules are those of the pydantic models in ``protocols.commands`` (strict types, ranges,
RFC 3339 times with an offset, unknown fields ignored); ``tests/agent/test_incoming.py`` runs
the same payloads through both and expects the same verdict. A payload that breaks them raises
:class:`~protocols.errors.ProtocolError`, whose ``reason`` names no payload value.
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import date, datetime
from typing import Any
from uuid import UUID

from protocols.errors import ProtocolError
from protocols.plain import is_valid_id, parse_rfc3339

MAX_SEQ = 2**63 - 1
MAX_PAYLOAD_BYTES = 16 * 1024
_KEY_RE = re.compile(r"^[0-9a-f]{64}$")


def _object(payload: bytes) -> dict[str, Any]:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ProtocolError("oversize", f"payload is over {MAX_PAYLOAD_BYTES} bytes")
    try:
        data = json.loads(payload)
    except ValueError:
        raise ProtocolError("bad_json", "payload is not JSON") from None
    if not isinstance(data, dict):
        raise ProtocolError("bad_json", "payload is not a JSON object")
    return data


def _int(data: dict[str, Any], name: str, low: int, high: int, default: int | None = None) -> int:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ProtocolError("bad_field", f"{name} must be an integer in {low}..{high}")
    return value


def _float(data: dict[str, Any], name: str, low: float, high: float) -> float:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ProtocolError("bad_field", f"{name} must be a number in {low}..{high}")
    return float(value)


def _envelope(data: dict[str, Any], device: str) -> None:
    if data.get("v") != 1 or isinstance(data.get("v"), bool):
        raise ProtocolError("bad_version", "v must be 1")
    if data.get("device") != device:
        raise ProtocolError("device_mismatch", "device does not match the topic")


def parse_ack(device: str, payload: bytes) -> int:
    """``acked_seq`` of an ``acks`` message for ``device``."""
    data = _object(payload)
    _envelope(data, device)
    return _int(data, "acked_seq", 0, MAX_SEQ)


@dataclasses.dataclass(frozen=True, slots=True)
class Command:
    """One command; ``args`` holds the body's fields beyond ``expires``, checked by type."""

    id: UUID
    type: str
    expires: datetime
    args: dict[str, Any]

    def expired(self, at: datetime) -> bool:
        """True when the command must be refused at time ``at``."""
        return at >= self.expires


def _body_args(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    if kind == "identify":
        return {"seconds": _int(body, "seconds", 1, 600, default=10)}
    if kind in ("reload_config", "ping"):
        return {}
    if kind == "set_location":
        accuracy = None
        if body.get("accuracy_m") is not None:
            accuracy = _float(body, "accuracy_m", 0, 100_000)
        lat, lon = _float(body, "lat", -90, 90), _float(body, "lon", -180, 180)
        return {"lat": lat, "lon": lon, "accuracy_m": accuracy}
    if kind == "day_key.set":
        office, day, key = body.get("office"), body.get("date"), body.get("key")
        if body.get("scheme") != "cf2":
            raise ProtocolError("bad_field", "scheme must be cf2")
        if not isinstance(office, str) or not is_valid_id(office):
            raise ProtocolError("bad_field", "office must be an office id")
        if not isinstance(day, str) or len(day) != 10:
            raise ProtocolError("bad_field", "date must be a YYYY-MM-DD string")
        try:
            parsed_day = date.fromisoformat(day)
        except ValueError:
            raise ProtocolError("bad_field", "date must be a YYYY-MM-DD string") from None
        if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
            raise ProtocolError("bad_field", "key must be 64 lowercase hex characters")
        return {"scheme": "cf2", "office": office, "date": parsed_day, "key": key}
    raise ProtocolError("unknown_type", "not a command type this agent knows")


def parse_command(device: str, payload: bytes) -> Command:
    """A command for ``device`` (its ``commands`` topic)."""
    data = _object(payload)
    _envelope(data, device)
    raw_id, kind, body = data.get("id"), data.get("type"), data.get("body")
    try:
        message_id = UUID(raw_id) if isinstance(raw_id, str) else None
    except ValueError:
        message_id = None
    if message_id is None:
        raise ProtocolError("bad_id", "id must be a UUID string")
    parse_rfc3339(data.get("ts"))
    if not isinstance(kind, str):
        raise ProtocolError("bad_type", "type must be a string")
    if not isinstance(body, dict):
        raise ProtocolError("bad_body", "body must be an object")
    expires = parse_rfc3339(body.get("expires"))
    return Command(message_id, kind, expires, _body_args(kind, body))
