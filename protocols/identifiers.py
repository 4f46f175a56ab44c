"""Identifiers and times as PROTOCOL.md defines them: device and office ids, ids, RFC 3339."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer
from pydantic_core import PydanticCustomError
from uuid6 import uuid7

from protocols.errors import ProtocolError

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{2,63}$"
_ID_RE = re.compile(ID_PATTERN)

# RFC 3339 date-time: the offset (Z or +hh:mm) is mandatory; fractional seconds are optional.
_RFC3339_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)

# A visitor pseudonym: 26 lowercase base32 characters (PROTOCOL.md "Visitor pseudonym").
PSEUDONYM_PATTERN = r"^[a-z2-7]{26}$"


def is_valid_id(value: str) -> bool:
    """True when ``value`` is a valid device or office id."""
    return bool(_ID_RE.fullmatch(value))


def check_device_id(value: str) -> str:
    """Return ``value`` if it is a valid device id, else raise :class:`ProtocolError`."""
    if not isinstance(value, str) or not is_valid_id(value):
        raise ProtocolError("bad_device_id", f"device id must match {ID_PATTERN}")
    return value


def _parse_rfc3339(value: object) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise PydanticCustomError("time_without_offset", "time must carry an explicit offset")
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("time_type", "time must be an RFC 3339 string")
    match = _RFC3339_RE.match(value)
    if match is None:
        if re.match(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?$", value):
            raise PydanticCustomError(
                "time_without_offset", "time must carry an explicit offset (Z or +hh:mm)"
            )
        raise PydanticCustomError("time_format", "time must be an RFC 3339 date-time")
    text = value
    frac = match.group(1)
    if frac and len(frac) > 7:  # Python keeps microseconds: cut nanoseconds, do not reject them
        text = text.replace(frac, frac[:7], 1)
    if text[-1] in "Zz":
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text.replace("t", "T"))
    except ValueError as exc:
        raise PydanticCustomError("time_format", "time must be a valid RFC 3339 date-time") from exc


def _format_rfc3339(value: datetime) -> str:
    return value.isoformat()


Timestamp = Annotated[
    datetime,
    BeforeValidator(_parse_rfc3339),
    PlainSerializer(_format_rfc3339, return_type=str, when_used="always"),
    Field(json_schema_extra={"type": "string", "format": "date-time"}),
]
"""An aware datetime that travels as an RFC 3339 string with an explicit offset."""


def _check_uuid(value: object) -> UUID:
    if isinstance(value, UUID):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("bad_uuid", "must be a UUID string")
    try:
        return UUID(value)
    except ValueError as exc:
        raise PydanticCustomError("bad_uuid", "must be a UUID string") from exc


MessageUuid = Annotated[
    UUID,
    BeforeValidator(_check_uuid),
    PlainSerializer(str, return_type=str, when_used="always"),
    Field(json_schema_extra={"type": "string", "format": "uuid"}),
]


def _check_id(value: str) -> str:
    if not is_valid_id(value):
        raise PydanticCustomError("bad_id", "must match {pattern}", {"pattern": ID_PATTERN})
    return value


DeviceId = Annotated[
    str, AfterValidator(_check_id), Field(json_schema_extra={"pattern": ID_PATTERN})
]
OfficeId = DeviceId

_PSEUDONYM_RE = re.compile(PSEUDONYM_PATTERN)


def _check_pseudonym(value: str) -> str:
    if not _PSEUDONYM_RE.fullmatch(value):
        raise PydanticCustomError(
            "bad_visitor", "visitor must be a pseudonym (26 lowercase base32 characters)"
        )
    return value


Pseudonym = Annotated[
    str, AfterValidator(_check_pseudonym), Field(json_schema_extra={"pattern": PSEUDONYM_PATTERN})
]

ICT = timezone(timedelta(hours=7), "ICT")
"""Thailand's time zone (UTC+07:00, no daylight saving)."""


def new_message_id() -> UUID:
    """A fresh message id: UUIDv7, so ids sort by time (and index well in the collector)."""
    return uuid7()


def now() -> datetime:
    """The device clock as an aware datetime in Thailand's offset."""
    return datetime.now(UTC).astimezone(ICT)
