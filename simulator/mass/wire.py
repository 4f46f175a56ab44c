"""The wire messages a mass device publishes, built with the ``protocols`` models (the same
bytes the real agent sends: envelopes, topics, QoS and retain flags of PROTOCOL.md)."""

from __future__ import annotations

import random
from typing import Literal

from protocols import (
    Ack,
    Channel,
    Heartbeat,
    HeartbeatBody,
    ProtocolError,
    Rating,
    RatingBody,
    State,
    decode,
    encode,
    new_message_id,
    now,
    topic,
)

SW_VERSION = "sim-mass-1"


def state(device: str, value: str) -> bytes:
    """The retained ``online``/``offline`` document (also the Last Will)."""
    return encode(State(v=1, device=device, state=value, sw_version=SW_VERSION))  # type: ignore[arg-type]


def rating(device: str, seq: int, rng: random.Random, scale: Literal[3, 4, 5] = 5) -> bytes:
    """An unverified rating (a counter without reader, or a press outside a session)."""
    score = min(scale, max(1, round(rng.gauss(scale * 0.8, 1.0))))
    body = RatingBody(session=None, score=score, scale=scale, verified=False)
    return encode(Rating(v=1, id=new_message_id(), device=device, ts=now(), seq=seq, body=body))


def heartbeat(
    device: str, *, uptime_s: float, last_seq: int, depth: int, oldest_s: float | None
) -> bytes:
    body = HeartbeatBody(
        uptime_s=uptime_s,
        sw_version=SW_VERSION,
        last_seq=last_seq,
        outbox_depth=depth,
        outbox_oldest_s=oldest_s,
        reader="absent",
        panel="ok",
        gps="absent",
        clock_synced=True,
        cpu_temp_c=48.0,
        load1=0.1,
        mem_used_pct=30.0,
        disk_free_mb=20_000.0,
        misuse_presses=0,
        lost_events=0,
    )
    return encode(Heartbeat(v=1, id=new_message_id(), device=device, ts=now(), body=body))


def acked_seq(device: str, payload: bytes) -> int | None:
    """The collector's ``acked_seq`` from a retained ack, None if it is not a valid ack."""
    try:
        message = decode(topic(device, Channel.ACKS), payload)
    except ProtocolError:
        return None
    return message.acked_seq if isinstance(message, Ack) else None
