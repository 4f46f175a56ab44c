"""Wrap a body into its protocol envelope (id, device, ts, seq) using the agent's clock."""

from __future__ import annotations

from collections.abc import Callable

from agent.clock import Clock
from agent.wire import CommandResultBody, Envelope, EventBody, HeartbeatBody, LocationBody
from protocols.plain import new_message_id

__all__ = ["Envelopes", "EventBody"]


class Envelopes:
    """Builds envelopes for one device; events get their seq from the outbox (see ``event``)."""

    def __init__(self, device_id: str, clock: Clock) -> None:
        self.device_id = device_id
        self._clock = clock

    def event(self, body: EventBody) -> Callable[[int], Envelope]:
        """A builder the outbox calls with the seq it assigns."""
        ts = self._clock.now()
        message_id = new_message_id()

        def build(seq: int) -> Envelope:
            return Envelope(id=message_id, device=self.device_id, ts=ts, seq=seq, body=body)

        return build

    def _envelope(self, body: HeartbeatBody | LocationBody | CommandResultBody) -> Envelope:
        return Envelope(id=new_message_id(), device=self.device_id, ts=self._clock.now(), body=body)

    def heartbeat(self, body: HeartbeatBody) -> Envelope:
        return self._envelope(body)

    def location(self, body: LocationBody) -> Envelope:
        return self._envelope(body)

    def command_result(self, body: CommandResultBody) -> Envelope:
        return self._envelope(body)
