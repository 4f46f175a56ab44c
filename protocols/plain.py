"""The parts of wire protocol v1 that need no pydantic: identifier patterns, the device clock,
message ids and the vocabularies of a few fields.

The counter agent builds and sends its messages from these (``agent/wire.py``) without
importing pydantic, which is most of a counter's idle memory (issue 14 target 4); the pydantic
models in ``protocols.identifiers``, ``events``, ``telemetry`` and ``commands`` use the same
objects and stay the definition receivers validate against.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Literal
from uuid import UUID

from uuid6 import uuid7

from protocols.errors import ProtocolError

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{2,63}$"
_ID_RE = re.compile(ID_PATTERN)

# A visitor pseudonym: 26 lowercase base32 characters (PROTOCOL.md "Visitor pseudonym").
PSEUDONYM_PATTERN = r"^[a-z2-7]{26}$"

AgeBand = Literal["0-19", "20-29", "30-39", "40-49", "50-59", "60-69", "70+"]
Sex = Literal["F", "M"]

# RFC 3339 date-time: the offset (Z or +hh:mm) is mandatory; fractional seconds are optional.
RFC3339_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)
_WITHOUT_OFFSET_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?$")

ICT = timezone(timedelta(hours=7), "ICT")
"""Thailand's time zone (UTC+07:00, no daylight saving)."""


def is_valid_id(value: str) -> bool:
    """True when ``value`` is a valid device or office id."""
    return bool(_ID_RE.fullmatch(value))


def check_device_id(value: str) -> str:
    """Return ``value`` if it is a valid device id, else raise :class:`ProtocolError`."""
    if not isinstance(value, str) or not is_valid_id(value):
        raise ProtocolError("bad_device_id", f"device id must match {ID_PATTERN}")
    return value


def new_message_id() -> UUID:
    """A fresh message id: UUIDv7, so ids sort by time (and index well in the collector)."""
    return uuid7()


def now() -> datetime:
    """The device clock as an aware datetime in Thailand's offset."""
    return datetime.now(UTC).astimezone(ICT)


def parse_rfc3339(value: object) -> datetime:
    """An aware datetime from an RFC 3339 string (or an aware datetime); raise
    :class:`ProtocolError` with code ``time_without_offset``, ``time_type`` or ``time_format``."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ProtocolError("time_without_offset", "time must carry an explicit offset")
        return value
    if not isinstance(value, str):
        raise ProtocolError("time_type", "time must be an RFC 3339 string")
    match = RFC3339_RE.match(value)
    if match is None:
        if _WITHOUT_OFFSET_RE.match(value):
            raise ProtocolError(
                "time_without_offset", "time must carry an explicit offset (Z or +hh:mm)"
            )
        raise ProtocolError("time_format", "time must be an RFC 3339 date-time")
    text = value
    frac = match.group(1)
    if frac and len(frac) > 7:  # Python keeps microseconds: cut nanoseconds, do not reject them
        text = text.replace(frac, frac[:7], 1)
    if text[-1] in "Zz":
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text.replace("t", "T"))
    except ValueError:
        raise ProtocolError("time_format", "time must be a valid RFC 3339 date-time") from None
