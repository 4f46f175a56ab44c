"""Commands (collector → device), their results (device → collector), and end-to-end acks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from protocols.base import WireModel
from protocols.identifiers import DeviceId, MessageUuid, Timestamp


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


Command = Annotated[Identify | ReloadConfig | SetLocation | Ping, Field(discriminator="type")]


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
