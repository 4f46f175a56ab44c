"""Dead letters for events whose seq is out of bounds (``seq_jump``, ``seq_gaps_full``).

The seq tracker only says which seqs (and declared-dropped ranges) it refused; this turns the
device's events carrying them into dead letters. The payload stored is the validated event
re-encoded (the raw bytes stay with the decoder); it is truncated and hashed like any other.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from collector.limits import IngestLimits
from collector.records import DeadLetter, EventRow
from collector.storage.seq_tracker import SeqChange, SeqState
from protocols import Channel, topic

_REASON = {
    "seq_jump": "seq {seq} is more than {jump} past the highest seq {max_seq}: not counted, "
    "send it again once the events before it are in",
    "seq_gaps_full": "seq {seq} would open a gap while {gaps} are open: not counted, "
    "send it again once the events before it are in",
}


def _letter(e: EventRow, code: str, reason: str) -> DeadLetter:
    envelope = {"v": 1, "id": e.id, "device": e.device_id, "seq": e.seq, "type": e.type}
    envelope["body"] = json.loads(e.body)
    payload = json.dumps(envelope, separators=(",", ":")).encode("utf-8")
    return DeadLetter(
        topic(e.device_id, Channel.EVENTS), payload, code, reason, e.received_ms, e.device_id,
        e.id, e.seq,
    )  # fmt: skip


def refuse(
    events: Sequence[EventRow],
    *,
    state: SeqState,
    change: SeqChange,
    limits: IngestLimits,
    letters: list[DeadLetter],
) -> set[str]:
    """Dead letters (into ``letters``) for one device's refused ``events``; return their ids.

    An ``outbox.dropped`` whose range was refused is dead-lettered too (its own seq counted)."""
    refused_ids: set[str] = set()
    for e in events:
        code = change.refused.get(e.seq)
        if code is not None:
            reason = _REASON[code].format(
                seq=e.seq, jump=limits.seq_max_jump, max_seq=state.max_seq, gaps=len(state.gaps)
            )
            letters.append(_letter(e, code, reason))
            refused_ids.add(e.id)
    if not change.refused_ranges:
        return refused_ids
    for e in events:
        if e.type != "outbox.dropped" or e.id in refused_ids:
            continue
        body = json.loads(e.body)
        first, last = int(body["from_seq"]), int(body["to_seq"])
        if (first, last) in change.refused_ranges:
            reason = (
                f"declared range {first}..{last} reaches more than {limits.seq_max_jump} past "
                f"the highest seq {state.max_seq} (or opens a gap over the limit): range ignored"
            )
            letters.append(_letter(e, "seq_jump", reason))
            refused_ids.add(e.id)
    return refused_ids
