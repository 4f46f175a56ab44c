"""Commands (collector → device), their results (device → collector), and end-to-end acks."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from protocols.base import WireModel
from protocols.identifiers import DeviceId, MessageUuid, OfficeId, Timestamp


class _CommandBody(WireModel):
    expires: Timestamp

    def expired(self, at: datetime) -> bool:
        """True when the command must be refused at time ``at``."""
        return at >= self.expires


class IdentifyBody(_CommandBody):
    seconds: Annotated[int, Field(ge=1, le=600)] = 10


class ReloadConfigBody(_CommandBody):
    pass


class SetLocationBody(_CommandBody):
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    accuracy_m: Annotated[float, Field(ge=0, le=100_000)] | None = None


class PingBody(_CommandBody):
    pass


def _iso_date(value: object) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or len(value) != 10:
        raise ValueError("date must be a YYYY-MM-DD string")
    return dt.date.fromisoformat(value)


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


class DayKeySetBody(_CommandBody):
    """The day key of the device's office for one office-local date (PROTOCOL.md "Visitor
    pseudonym"). A secret: it travels only on the device's own TLS, ACL-confined commands topic."""

    scheme: Literal["cf2"]
    office: OfficeId
    date: IsoDate
    key: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] = Field(repr=False)


class _CommandBase(WireModel):
    v: Literal[1]
    id: MessageUuid
    device: DeviceId
    ts: Timestamp


class Identify(_CommandBase):
    type: Literal["identify"] = "identify"
    body: IdentifyBody


class ReloadConfig(_CommandBase):
    type: Literal["reload_config"] = "reload_config"
    body: ReloadConfigBody


class SetLocation(_CommandBase):
    type: Literal["set_location"] = "set_location"
    body: SetLocationBody


class Ping(_CommandBase):
    type: Literal["ping"] = "ping"
    body: PingBody


class DayKeySet(_CommandBase):
    """Additive in v1 (2026-12-02): older agents answer nothing and the collector resends."""

    type: Literal["day_key.set"] = "day_key.set"
    body: DayKeySetBody


Command = Annotated[
    Identify | ReloadConfig | SetLocation | Ping | DayKeySet, Field(discriminator="type")
]


class CommandResultBody(WireModel):
    command: MessageUuid
    ok: bool
    detail: Annotated[str, Field(max_length=200)] = ""


class CommandResult(_CommandBase):
    type: Literal["command.result"] = "command.result"
    body: CommandResultBody


class Ack(WireModel):
    """Retained on a device's ``acks`` topic: every event 1..acked_seq is committed centrally."""

    v: Literal[1]
    device: DeviceId
    acked_seq: Annotated[int, Field(ge=0, le=2**63 - 1)]
