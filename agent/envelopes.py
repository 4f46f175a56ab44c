"""Wrap a body into its protocol envelope (id, device, ts, seq) using the agent's clock."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel

from agent.clock import Clock
from protocols import (
    CommandResult,
    CommandResultBody,
    CopyMade,
    CopyMadeBody,
    CopyRequested,
    CopyRequestedBody,
    Fault,
    FaultBody,
    Heartbeat,
    HeartbeatBody,
    Location,
    LocationBody,
    Rating,
    RatingBody,
    SessionEnded,
    SessionEndedBody,
    SessionStarted,
    SessionStartedBody,
    new_message_id,
)

EventBody = (
    SessionStartedBody
    | SessionEndedBody
    | RatingBody
    | CopyRequestedBody
    | CopyMadeBody
    | FaultBody
)

_EVENT_MODELS: dict[type[BaseModel], type[BaseModel]] = {
    SessionStartedBody: SessionStarted,
    SessionEndedBody: SessionEnded,
    RatingBody: Rating,
    CopyRequestedBody: CopyRequested,
    CopyMadeBody: CopyMade,
    FaultBody: Fault,
}


class Envelopes:
    """Builds envelopes for one device; events get their seq from the outbox (see ``event``)."""

    def __init__(self, device_id: str, clock: Clock) -> None:
        self.device_id = device_id
        self._clock = clock

    def event(self, body: EventBody) -> Callable[[int], BaseModel]:
        """A builder the outbox calls with the seq it assigns."""
        model = _EVENT_MODELS[type(body)]
        ts = self._clock.now()
        message_id = new_message_id()

        def build(seq: int) -> BaseModel:
            return model(v=1, id=message_id, device=self.device_id, ts=ts, seq=seq, body=body)

        return build

    def heartbeat(self, body: HeartbeatBody) -> Heartbeat:
        return Heartbeat(
            v=1, id=new_message_id(), device=self.device_id, ts=self._clock.now(), body=body
        )

    def location(self, body: LocationBody) -> Location:
        return Location(
            v=1, id=new_message_id(), device=self.device_id, ts=self._clock.now(), body=body
        )

    def command_result(self, body: CommandResultBody) -> CommandResult:
        return CommandResult(
            v=1, id=new_message_id(), device=self.device_id, ts=self._clock.now(), body=body
        )
