"""The one error type of the protocol package."""

from __future__ import annotations


class ProtocolError(ValueError):
    """A payload or topic that is not valid under wire protocol v1.

    ``code`` is a short stable machine name (used by the collector's dead-letter table and
    metrics); ``reason`` is one line for people. Neither ever contains payload values, so the
    error is safe to log.
    """

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason

    def __repr__(self) -> str:
        return f"ProtocolError(code={self.code!r}, reason={self.reason!r})"


class EventRejected(ProtocolError):  # noqa: N818 (reads as what happened)
    """An event whose envelope is sound but whose ``type``, ``ts`` or ``body`` is not acceptable.

    PROTOCOL.md: such an event is dead-lettered and still counts as received for its ``seq``,
    so the receiver needs the envelope's identity as well as the reason.
    """

    def __init__(self, code: str, reason: str, *, device: str, message_id: str, seq: int) -> None:
        super().__init__(code, reason)
        self.device = device
        self.message_id = message_id
        self.seq = seq
