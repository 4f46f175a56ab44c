"""Turns raw MQTT messages into the rows of one batch, validating each with ``protocols.decode``
(events through its faster equivalent, :mod:`collector.ingest.fast_decode`).

Whatever is invalid becomes a dead letter (raw bytes, topic, code, reason, time) and never stops
the batch; an event rejected for its type or body also still counts as received for its seq.

Device clocks are bounded against the receive time (:class:`~collector.limits.IngestLimits`):
a ``ts`` more than ``ts_future_skew`` ahead is clamped to the receive time and the device's value
kept beside it (``device_ts_ms``): the message certainly happened before it arrived, and a rating
is never dated into a future period nor a fix kept "newest" for ever. A ``ts`` older than
``ts_max_age`` cannot be dated at all and is dead-lettered (``ts_too_old``; an event still counts
for its seq, so the outbox moves on). Retained replays (the broker resends them on every
subscribe) are never evidence that a device is alive: they do not count as seen, and replayed
``state`` and ``heartbeat`` documents are skipped (an old document is not news).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from collector.ingest.fast_decode import decode_message
from collector.limits import IngestLimits
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
    CopyMade,
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
)

AnyEvent = SessionStarted | SessionEnded | Rating | CopyRequested | CopyMade | OutboxDropped | Fault
EVENT_CLASSES = (
    SessionStarted,
    SessionEnded,
    Rating,
    CopyRequested,
    CopyMade,
    OutboxDropped,
    Fault,
)


_RETAINED_CHANNELS = (Channel.STATE, Channel.LOCATION)
_REPLAY_SKIPPED = (Channel.STATE, Channel.HEARTBEAT)
DEFAULT_LIMITS = IngestLimits()


class _TooOld(Exception):  # noqa: N818 (internal signal)
    pass


def epoch_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def _bounded_ts(
    batch: IngestBatch, channel: str, ts: datetime, received_ms: int, limits: IngestLimits
) -> tuple[int, int | None]:
    """(ts to store, the device's ts if it was clamped); raise ``_TooOld`` past the age bound."""
    ts_ms = epoch_ms(ts)
    if ts_ms > received_ms + limits.ts_future_skew_ms:
        batch.ts_clamped[channel] = batch.ts_clamped.get(channel, 0) + 1
        return received_ms, ts_ms
    if ts_ms < received_ms - limits.ts_max_age_ms:
        raise _TooOld
    return ts_ms, None


_TOO_OLD_REASON = "ts: more than {days:g} days before it was received"


def _event_row(event: AnyEvent, received_ms: int, ts_ms: int, device_ts: int | None) -> EventRow:
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
        ts_ms=ts_ms,
        received_ms=received_ms,
        session=str(session) if session is not None else None,
        score=score,
        scale=scale,
        verified=verified,
        body=body.model_dump_json(),
        device_ts_ms=device_ts,
    )


def _add(batch: IngestBatch, msg: RawMessage, parsed: Topic | None, limits: IngestLimits) -> None:
    if not msg.payload and parsed is not None and parsed.channel in _RETAINED_CHANNELS:
        return  # an empty retained message only clears the broker's copy: nothing to store
    if msg.retain and parsed is not None and parsed.channel in _REPLAY_SKIPPED:
        channel = parsed.channel.value
        batch.retained_ignored[channel] = batch.retained_ignored.get(channel, 0) + 1
        return
    try:
        parsed = parsed or Topic.parse(msg.topic)
        message = decode_message(parsed, msg.payload)
    except EventRejected as exc:
        _reject(
            batch,
            msg,
            code=exc.code,
            reason=exc.reason,
            device=exc.device,
            message_id=exc.message_id,
            seq=exc.seq,
        )
        return
    except ProtocolError as exc:
        device = parsed.device if parsed is not None else None
        batch.dead_letters.append(
            DeadLetter(msg.topic, msg.payload, exc.code, exc.reason, msg.received_ms, device)
        )
        return
    try:
        _sort(batch, msg, parsed, message, limits)
    except _TooOld:
        reason = _TOO_OLD_REASON.format(days=limits.ts_max_age_ms / 86_400_000)
        if isinstance(message, EVENT_CLASSES):
            _reject(
                batch,
                msg,
                code="ts_too_old",
                reason=reason,
                device=message.device,
                message_id=str(message.id),
                seq=message.seq,
            )
        else:
            batch.dead_letters.append(
                DeadLetter(
                    msg.topic, msg.payload, "ts_too_old", reason, msg.received_ms, parsed.device
                )
            )


def _reject(
    batch: IngestBatch,
    msg: RawMessage,
    *,
    code: str,
    reason: str,
    device: str,
    message_id: str,
    seq: int,
) -> None:
    """Dead-letter an event whose envelope is sound: it still counts as received for its seq."""
    batch.rejected_seqs.setdefault(device, set()).add(seq)
    batch.dead_letters.append(
        DeadLetter(msg.topic, msg.payload, code, reason, msg.received_ms, device, message_id, seq)
    )


def _sort(
    batch: IngestBatch, msg: RawMessage, parsed: Topic, message: object, limits: IngestLimits
) -> None:
    device = parsed.device
    channel = parsed.channel.value
    received = msg.received_ms
    if isinstance(message, EVENT_CLASSES):
        ts_ms, device_ts = _bounded_ts(batch, channel, message.ts, received, limits)
        batch.events.append(_event_row(message, received, ts_ms, device_ts))
        if isinstance(message, OutboxDropped):
            batch.dropped.setdefault(device, []).append(
                (message.body.from_seq, message.body.to_seq)
            )
    elif isinstance(message, Heartbeat):
        ts_ms, _ = _bounded_ts(batch, channel, message.ts, received, limits)
        row = HeartbeatRow(
            device,
            ts_ms,
            received,
            message.body.model_dump_json(),
            message.body.sw_version,
            message.body.outbox_depth,
        )
        current = batch.heartbeats.get(device)
        if current is None or current.received_ms <= row.received_ms:  # latest = last received
            batch.heartbeats[device] = row
    elif isinstance(message, Location):
        ts_ms, device_ts = _bounded_ts(batch, channel, message.ts, received, limits)
        b = message.body
        batch.locations.append(
            LocationRow(
                str(message.id),
                device,
                ts_ms,
                received,
                b.lat,
                b.lon,
                b.source,
                b.accuracy_m,
                b.hdop,
                b.sats,
                b.fix,
                b.samples,
                b.spread_m,
                device_ts,
            )
        )
    elif isinstance(message, State):
        batch.states[device] = StateRow(device, message.state, message.sw_version, received)
    elif isinstance(message, CommandResult):
        ts_ms, _ = _bounded_ts(batch, channel, message.ts, received, limits)
        batch.command_results.append(
            CommandResultRow(
                str(message.id),
                device,
                str(message.body.command),
                int(message.body.ok),
                message.body.detail,
                ts_ms,
                received,
            )
        )
    else:  # acks or commands on a device-to-collector subscription: not ours to store
        batch.dead_letters.append(
            DeadLetter(
                msg.topic,
                msg.payload,
                "unexpected_channel",
                f"the collector does not accept {parsed.channel} messages",
                received,
                device,
            )
        )


def build_batch(
    messages: Iterable[RawMessage], limits: IngestLimits = DEFAULT_LIMITS
) -> IngestBatch:
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
        _add(batch, msg, parsed, limits)
        if parsed is not None and not msg.retain:  # a retained replay is no sign of life
            device = parsed.device
            batch.seen[device] = max(batch.seen.get(device, 0), msg.received_ms)
            batch.seen_counts[device] = batch.seen_counts.get(device, 0) + 1
    return batch
