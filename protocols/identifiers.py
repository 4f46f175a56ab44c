"""Identifiers and times as PROTOCOL.md defines them: device and office ids, ids, RFC 3339."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer
from pydantic_core import PydanticCustomError

from protocols.errors import ProtocolError

# Defined without pydantic in protocols.plain (the agent's path), exported here as before.
from protocols.plain import ICT as ICT  # noqa: PLC0414 (re-export)
from protocols.plain import ID_PATTERN as ID_PATTERN  # noqa: PLC0414 (re-export)
from protocols.plain import PSEUDONYM_PATTERN as PSEUDONYM_PATTERN  # noqa: PLC0414 (re-export)
from protocols.plain import check_device_id as check_device_id  # noqa: PLC0414 (re-export)
from protocols.plain import is_valid_id as is_valid_id  # noqa: PLC0414 (re-export)
from protocols.plain import new_message_id as new_message_id  # noqa: PLC0414 (re-export)
from protocols.plain import now as now  # noqa: PLC0414 (re-export)
from protocols.plain import parse_rfc3339


def _parse_rfc3339(value: object) -> datetime:
    try:
        return parse_rfc3339(value)
    except ProtocolError as exc:
        raise PydanticCustomError(exc.code, exc.reason) from None


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
