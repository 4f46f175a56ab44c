"""What a transport promises the forwarder: deliver one case, or fail saying when to try again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Delivered:
    """The centre took the case (first time or, idempotently, again)."""

    transport: str
    centre_ref: str | None = None


class DeliveryFailedError(Exception):
    """Not delivered this time. ``reason`` names what failed, never what the case says."""

    def __init__(self, reason: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after_s = retry_after_s


class Transport(Protocol):
    name: str

    async def deliver(
        self, idempotency_key: str, payload: dict[str, Any], body: bytes
    ) -> Delivered:
        """Hand one case to the centre; return only once the centre answered that it has it."""

    async def close(self) -> None: ...
