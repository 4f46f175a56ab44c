"""Event messages (`events` topic): the envelope with a per-device ``seq`` and the six bodies."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from protocols.base import WireModel
from protocols.identifiers import DeviceId, MessageUuid, Pseudonym, Timestamp
from protocols.plain import AgeBand as AgeBand  # noqa: PLC0414 (re-export)
from protocols.plain import Sex as Sex  # noqa: PLC0414 (re-export)

ServiceId = DeviceId
"""A service id of the collector's catalogue: the same pattern as device and office ids."""

EndReason = Literal["card_removed", "timeout", "staff"]
CopyDocument = Literal["id_card", "house_registration", "other"]
FaultComponent = Literal["reader", "panel", "gps", "storage", "clock"]

MAX_SEQ = 2**63 - 1
"""The largest seq (a signed 64-bit integer, the collector's column type)."""
DAY_S = 86400.0

Duration = Annotated[float, Field(ge=0, le=DAY_S)]
"""Seconds within one day: a counter session or a rating delay never lasts longer."""
Seq = Annotated[int, Field(ge=1, le=MAX_SEQ)]


class SessionStartedBody(WireModel):
    session: MessageUuid
    visitor: Pseudonym | None
    card_valid: bool | None
    age_band: AgeBand | None = None
    sex: Sex | None = None


class SessionEndedBody(WireModel):
    session: MessageUuid
    duration_s: Duration
    reason: EndReason


class RatingBody(WireModel):
    session: MessageUuid | None
    score: int
    scale: Literal[3, 4, 5]
    verified: bool
    after_s: Duration | None = None

    @model_validator(mode="after")
    def _score_within_scale(self) -> Self:
        if not 1 <= self.score <= self.scale:
            raise PydanticCustomError(
                "score_out_of_scale",
                "score {score} is outside its scale 1..{scale}",
                {"score": self.score, "scale": self.scale},
            )
        return self


class CopyRequestedBody(WireModel):
    session: MessageUuid | None
    document: CopyDocument


class CopyMadeBody(WireModel):
    """The office made the copy itself from the card, free of charge (order 21/2560 cl. 17)."""

    session: MessageUuid | None
    document: CopyDocument
    service: ServiceId | None = None


class OutboxDroppedBody(WireModel):
    from_seq: Seq
    to_seq: Seq
    reason: Annotated[str, Field(min_length=1, max_length=200)]

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.from_seq > self.to_seq:
            raise PydanticCustomError("bad_range", "from_seq must not be greater than to_seq")
        return self


class FaultBody(WireModel):
    component: FaultComponent
    code: Annotated[str, Field(pattern=r"^[a-z0-9_.-]{1,64}$")]
    detail: Annotated[str, Field(max_length=200)] = ""


class _EventBase(WireModel):
    v: Literal[1]
    id: MessageUuid
    device: DeviceId
    ts: Timestamp
    seq: Seq


class SessionStarted(_EventBase):
    type: Literal["session.started"] = "session.started"
    body: SessionStartedBody


class SessionEnded(_EventBase):
    type: Literal["session.ended"] = "session.ended"
    body: SessionEndedBody


class Rating(_EventBase):
    type: Literal["rating"] = "rating"
    body: RatingBody


class CopyRequested(_EventBase):
    type: Literal["copy.requested"] = "copy.requested"
    body: CopyRequestedBody


class CopyMade(_EventBase):
    type: Literal["copy.made"] = "copy.made"
    body: CopyMadeBody


class OutboxDropped(_EventBase):
    type: Literal["outbox.dropped"] = "outbox.dropped"
    body: OutboxDroppedBody


class Fault(_EventBase):
    type: Literal["fault"] = "fault"
    body: FaultBody


Event = Annotated[
    SessionStarted | SessionEnded | Rating | CopyRequested | CopyMade | OutboxDropped | Fault,
    Field(discriminator="type"),
]
"""Any event envelope, discriminated by ``type``."""

EventBody = (
    SessionStartedBody
    | SessionEndedBody
    | RatingBody
    | CopyRequestedBody
    | CopyMadeBody
    | OutboxDroppedBody
    | FaultBody
)

EVENT_TYPES: dict[str, type[WireModel]] = {
    "session.started": SessionStarted,
    "session.ended": SessionEnded,
    "rating": Rating,
    "copy.requested": CopyRequested,
    "copy.made": CopyMade,
    "outbox.dropped": OutboxDropped,
    "fault": Fault,
}
