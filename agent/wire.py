"""What the agent sends, built and serialised without pydantic (issue 14, agent footprint).

pydantic is most of an idle counter's memory (about 10 MB of its 43 MB), and the agent only
*sends* these messages: plain frozen dataclasses with the field names, order and defaults of
the pydantic models in ``protocols`` (the definition receivers validate against), serialised
with ``json``. ``tests/protocols/test_agent_wire.py`` checks that every message built here
validates against those models and the JSON Schema of ``python -m protocols schema``, and
reads back to the same JSON. The few rules a sender could break are checked here as well
(:class:`~protocols.errors.ProtocolError`), so a bad message never reaches the outbox.
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime
from typing import Any, ClassVar, Literal
from uuid import UUID

from protocols.errors import ProtocolError
from protocols.plain import AgeBand, Sex, check_device_id

MAX_PAYLOAD_BYTES = 16 * 1024  # PROTOCOL.md; protocols.codec.MAX_PAYLOAD_BYTES
_FAULT_CODE = re.compile(r"^[a-z0-9_.-]{1,64}$")


def _check(ok: bool, code: str, reason: str) -> None:
    if not ok:
        raise ProtocolError(code, reason)


@dataclasses.dataclass(frozen=True, slots=True)
class SessionStartedBody:
    TYPE: ClassVar[str] = "session.started"
    session: UUID
    visitor: str | None
    card_valid: bool | None
    age_band: AgeBand | None = None
    sex: Sex | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class SessionEndedBody:
    TYPE: ClassVar[str] = "session.ended"
    session: UUID
    duration_s: float
    reason: Literal["card_removed", "timeout", "staff"]

    def __post_init__(self) -> None:
        _check(0 <= self.duration_s <= 86400, "bad_body", "duration_s must be 0..86400")


@dataclasses.dataclass(frozen=True, slots=True)
class RatingBody:
    TYPE: ClassVar[str] = "rating"
    session: UUID | None
    score: int
    scale: int
    verified: bool
    after_s: float | None = None

    def __post_init__(self) -> None:
        _check(self.scale in (3, 4, 5), "bad_body", "scale must be 3, 4 or 5")
        _check(1 <= self.score <= self.scale, "score_out_of_scale", "score outside its scale")


@dataclasses.dataclass(frozen=True, slots=True)
class CopyRequestedBody:
    TYPE: ClassVar[str] = "copy.requested"
    session: UUID | None
    document: Literal["id_card", "house_registration", "other"]


@dataclasses.dataclass(frozen=True, slots=True)
class CopyMadeBody:
    TYPE: ClassVar[str] = "copy.made"
    session: UUID | None
    document: Literal["id_card", "house_registration", "other"]
    service: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class OutboxDroppedBody:
    TYPE: ClassVar[str] = "outbox.dropped"
    from_seq: int
    to_seq: int
    reason: str

    def __post_init__(self) -> None:
        _check(1 <= self.from_seq <= self.to_seq, "bad_range", "need 1 <= from_seq <= to_seq")
        _check(1 <= len(self.reason) <= 200, "bad_body", "reason must be 1..200 characters")


@dataclasses.dataclass(frozen=True, slots=True)
class FaultBody:
    TYPE: ClassVar[str] = "fault"
    component: Literal["reader", "panel", "gps", "storage", "clock"]
    code: str
    detail: str = ""

    def __post_init__(self) -> None:
        _check(bool(_FAULT_CODE.fullmatch(self.code)), "bad_body", "fault code pattern")
        _check(len(self.detail) <= 200, "bad_body", "detail must be at most 200 characters")


@dataclasses.dataclass(frozen=True, slots=True)
class HeartbeatBody:
    TYPE: ClassVar[str] = "heartbeat"
    uptime_s: float
    sw_version: str
    last_seq: int
    outbox_depth: int
    reader: Literal["present", "absent", "error"]
    panel: Literal["ok", "fault"]
    gps: Literal["fix", "nofix", "absent"]
    clock_synced: bool
    outbox_oldest_s: float | None = None
    cpu_temp_c: float | None = None
    load1: float | None = None
    mem_used_pct: float | None = None
    disk_free_mb: float | None = None
    misuse_presses: int | None = None
    lost_events: int | None = None

    # The model's order (outbox_oldest_s sits after outbox_depth there; a default here must
    # follow the fields without one): the JSON keeps the model's order.
    ORDER: ClassVar[tuple[str, ...]] = (
        "uptime_s", "sw_version", "last_seq", "outbox_depth", "outbox_oldest_s", "reader",
        "panel", "gps", "clock_synced", "cpu_temp_c", "load1", "mem_used_pct", "disk_free_mb",
        "misuse_presses", "lost_events",
    )  # fmt: skip


@dataclasses.dataclass(frozen=True, slots=True)
class LocationBody:
    TYPE: ClassVar[str] = "location"
    lat: float
    lon: float
    source: Literal["gps", "provisioned"]
    accuracy_m: float | None = None
    hdop: float | None = None
    sats: int | None = None
    fix: Literal["2d", "3d"] | None = None
    samples: int | None = None
    spread_m: float | None = None
    window_s: float | None = None

    def __post_init__(self) -> None:
        _check(-90 <= self.lat <= 90 and -180 <= self.lon <= 180, "bad_body", "lat/lon range")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LocationBody:
        """A body read back from the agent's own file (unknown keys ignored)."""
        if not isinstance(data, dict):
            raise ProtocolError("bad_body", "a location must be a JSON object")
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclasses.dataclass(frozen=True, slots=True)
class CommandResultBody:
    TYPE: ClassVar[str] = "command.result"
    command: UUID
    ok: bool
    detail: str = ""


EventBody = (
    SessionStartedBody
    | SessionEndedBody
    | RatingBody
    | CopyRequestedBody
    | CopyMadeBody
    | OutboxDroppedBody
    | FaultBody
)
Body = EventBody | HeartbeatBody | LocationBody | CommandResultBody


def _value(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def body_dict(body: Body) -> dict[str, Any]:
    """The body as JSON-ready data, in the pydantic model's field order."""
    order = getattr(body, "ORDER", None) or [f.name for f in dataclasses.fields(body)]
    return {name: _value(getattr(body, name)) for name in order}


@dataclasses.dataclass(frozen=True, slots=True)
class Envelope:
    """One envelope (PROTOCOL.md "Envelope"); ``seq`` on events only."""

    id: UUID
    device: str
    ts: datetime
    body: Body
    seq: int | None = None

    def __post_init__(self) -> None:
        check_device_id(self.device)
        _check(self.ts.tzinfo is not None, "time_without_offset", "ts needs an offset")

    @property
    def type(self) -> str:
        return self.body.TYPE

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"v": 1, "id": str(self.id), "device": self.device}
        data["ts"] = self.ts.isoformat()
        if self.seq is not None:
            data["seq"] = self.seq
        data["type"] = self.type
        data["body"] = body_dict(self.body)
        return data


@dataclasses.dataclass(frozen=True, slots=True)
class StateDoc:
    """The retained ``state`` document and the Last Will: no id, ts or type."""

    device: str
    state: Literal["online", "offline"]
    sw_version: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"v": 1, "device": self.device, "state": self.state, "sw_version": self.sw_version}


def encode(message: Envelope | StateDoc | Any) -> bytes:
    """The wire bytes of ``message``: compact UTF-8 JSON, at most 16 KiB. A pydantic model
    (tests, the simulator) is encoded by ``protocols.codec`` instead, imported only then."""
    if not isinstance(message, Envelope | StateDoc):
        from protocols.codec import encode as encode_model  # noqa: PLC0415 - pydantic

        return encode_model(message)
    try:
        text = json.dumps(
            message.to_dict(), ensure_ascii=False, separators=(",", ":"), allow_nan=False
        )
    except ValueError as exc:  # NaN or infinity: no field of the protocol means either
        raise ProtocolError("not_finite", f"cannot encode: {exc}") from None
    data = text.encode("utf-8")
    if len(data) > MAX_PAYLOAD_BYTES:
        raise ProtocolError(
            "oversize", f"payload is {len(data)} bytes; the limit is {MAX_PAYLOAD_BYTES}"
        )
    return data
