"""Turns raw MQTT messages into the rows of one batch, validating each with ``protocols.decode``.

Whatever is invalid becomes a dead letter (raw bytes, topic, code, reason, time) and never stops
the batch; an event rejected for its type or body also still counts as received for its seq.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from collector.records import (
    CommandResultRow,
    DeadLetter,
    EventRow,
    HeartbeatRow,
    IngestBatch,
    LocationRow,
    RawMessage,
    StateRow,
)
from protocols import (
    Channel,
    CommandResult,
    CopyRequested,
    EventRejected,
    Fault,
    Heartbeat,
    Location,
    OutboxDropped,
    ProtocolError,
    Rating,
    SessionEnded,
    SessionStarted,
    State,
    Topic,
    decode,
)

AnyEvent = SessionStarted | SessionEnded | Rating | CopyRequested | OutboxDropped | Fault
EVENT_CLASSES = (SessionStarted, SessionEnded, Rating, CopyRequested, OutboxDropped, Fault)


_RETAINED_CHANNELS = (Channel.STATE, Channel.LOCATION)


def epoch_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def _event_row(event: AnyEvent, received_ms: int) -> EventRow:
    body = event.body
    session = getattr(body, "session", None)
    score = scale = verified = None
    if isinstance(event, Rating):
        score, scale, verified = event.body.score, event.body.scale, int(event.body.verified)
    return EventRow(
        id=str(event.id),
        device_id=event.device,
        seq=event.seq,
        type=event.type,
        ts_ms=epoch_ms(event.ts),
        received_ms=received_ms,
        session=str(session) if session is not None else None,
        score=score,
        scale=scale,
        verified=verified,
        body=body.model_dump_json(),
    )


def _add(batch: IngestBatch, msg: RawMessage, parsed: Topic | None) -> None:
    if not msg.payload and parsed is not None and parsed.channel in _RETAINED_CHANNELS:
        return  # an empty retained message only clears the broker's copy: nothing to store
    try:
        parsed = parsed or Topic.parse(msg.topic)
        message = decode(parsed, msg.payload)
    except EventRejected as exc:
        batch.rejected_seqs.setdefault(exc.device, set()).add(exc.seq)
        batch.dead_letters.append(
            DeadLetter(
                msg.topic,
                msg.payload,
                exc.code,
                exc.reason,
                msg.received_ms,
                exc.device,
                exc.message_id,
                exc.seq,
            )
        )
        return
    except ProtocolError as exc:
        device = parsed.device if parsed is not None else None
        batch.dead_letters.append(
            DeadLetter(msg.topic, msg.payload, exc.code, exc.reason, msg.received_ms, device)
        )
        return
    device = parsed.device
    if isinstance(message, EVENT_CLASSES):
        batch.events.append(_event_row(message, msg.received_ms))
        if isinstance(message, OutboxDropped):
            batch.dropped.setdefault(device, []).append(
                (message.body.from_seq, message.body.to_seq)
            )
    elif isinstance(message, Heartbeat):
        row = HeartbeatRow(
            device,
            epoch_ms(message.ts),
            msg.received_ms,
            message.body.model_dump_json(),
            message.body.sw_version,
            message.body.outbox_depth,
        )
        current = batch.heartbeats.get(device)
        if current is None or current.ts_ms <= row.ts_ms:
            batch.heartbeats[device] = row
    elif isinstance(message, Location):
        b = message.body
        batch.locations.append(
            LocationRow(
                str(message.id),
                device,
                epoch_ms(message.ts),
                msg.received_ms,
                b.lat,
                b.lon,
                b.source,
                b.accuracy_m,
                b.hdop,
                b.sats,
                b.fix,
                b.samples,
                b.spread_m,
            )
        )
    elif isinstance(message, State):
        batch.states[device] = StateRow(device, message.state, message.sw_version, msg.received_ms)
    elif isinstance(message, CommandResult):
        batch.command_results.append(
            CommandResultRow(
                str(message.id),
                device,
                str(message.body.command),
                int(message.body.ok),
                message.body.detail,
                epoch_ms(message.ts),
                msg.received_ms,
            )
        )
    else:  # acks or commands on a device-to-collector subscription: not ours to store
        batch.dead_letters.append(
            DeadLetter(
                msg.topic,
                msg.payload,
                "unexpected_channel",
                f"the collector does not accept {parsed.channel} messages",
                msg.received_ms,
                device,
            )
        )


def build_batch(messages: Iterable[RawMessage]) -> IngestBatch:
    """Validate every message and sort it into the batch; never raises for bad input."""
    batch = IngestBatch()
    topics: dict[str, Topic | None] = {}
    for msg in messages:
        parsed = topics.get(msg.topic)
        if parsed is None and msg.topic not in topics:
            try:
                parsed = Topic.parse(msg.topic)
            except ProtocolError:
                parsed = None
            topics[msg.topic] = parsed
        _add(batch, msg, parsed)
        if parsed is not None:
            device = parsed.device
            batch.seen[device] = max(batch.seen.get(device, 0), msg.received_ms)
            batch.seen_counts[device] = batch.seen_counts.get(device, 0) + 1
    return batch
