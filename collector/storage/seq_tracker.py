"""Per-device ``seq`` bookkeeping: the contiguous high-water mark and the gaps above it.

Pure functions over a small state (highest seq seen, open gaps as inclusive ranges), so that the
storage can load a device's state inside its transaction, apply a batch, and write it back: the
acknowledged seq is then computed only from what that transaction commits.

Two bounds keep one device from costing everyone (``max_jump``, ``max_gaps``): a seq more than
``max_jump`` past the high-water mark, or one that would open a gap while the device already has
``max_gaps`` open, is *refused*: not counted at all (counting it would open the very gap the bound
prevents). ``acked_seq`` keeps its one meaning, every seq up to it is committed or declared
dropped, so an honest device keeps a refused event in its outbox and sends it again; it is taken
once the gaps below it are filled (or an operator raises the bound). Gaps are never merged: a
merged range would count received seqs as missing and could hold ``acked_seq`` back for good.
With at most ``max_gaps`` ranges, each seq costs O(max_gaps) and a batch stays linear.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field

SeqRange = tuple[int, int]
"""An inclusive range ``(first, last)`` of seq numbers."""


@dataclass(slots=True)
class SeqState:
    """``max_seq``: the highest seq received or declared dropped; ``gaps``: missing, sorted."""

    max_seq: int = 0
    gaps: list[SeqRange] = field(default_factory=list)

    @property
    def acked_seq(self) -> int:
        """Every seq 1..acked_seq is received or declared dropped."""
        return self.gaps[0][0] - 1 if self.gaps else self.max_seq

    @property
    def missing(self) -> int:
        return sum(last - first + 1 for first, last in self.gaps)


@dataclass(slots=True)
class SeqChange:
    """What one batch did to a device: gaps opened, seqs declared lost (ranges)."""

    opened: list[SeqRange] = field(default_factory=list)
    lost: list[SeqRange] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)  # seq -> seq_jump | seq_gaps_full
    refused_ranges: list[SeqRange] = field(default_factory=list)


def _subtract(gaps: list[SeqRange], first: int, last: int) -> tuple[list[SeqRange], list[SeqRange]]:
    """Remove ``first..last`` from ``gaps``; return (remaining gaps, the removed parts)."""
    kept: list[SeqRange] = []
    removed: list[SeqRange] = []
    for a, b in gaps:
        if b < first or a > last:
            kept.append((a, b))
            continue
        if a < first:
            kept.append((a, first - 1))
        if b > last:
            kept.append((last + 1, b))
        removed.append((max(a, first), min(b, last)))
    return kept, removed


def _remove_one(gaps: list[SeqRange], seq: int) -> bool:
    """Take ``seq`` out of the gap holding it; return False if it was in none."""
    index = bisect.bisect_right(gaps, (seq, float("inf"))) - 1
    if index < 0:
        return False
    a, b = gaps[index]
    if not a <= seq <= b:
        return False
    replacement = [r for r in ((a, seq - 1), (seq + 1, b)) if r[0] <= r[1]]
    gaps[index : index + 1] = replacement
    return True


def _refusal(state: SeqState, last: int, first: int, max_jump: int, max_gaps: int) -> str | None:
    """Why a seq (or dropped range ``first..last``) above the high-water mark may not be
    recorded (``seq_jump``, ``seq_gaps_full``), or None when it may."""
    if last - state.max_seq > max_jump:
        return "seq_jump"
    if first > state.max_seq + 1 and len(state.gaps) >= max_gaps:
        return "seq_gaps_full"
    return None


def apply(
    state: SeqState,
    received: Iterable[int],
    dropped: Iterable[SeqRange] = (),
    *,
    max_jump: int | None = None,
    max_gaps: int | None = None,
) -> SeqChange:
    """Record received seqs and declared-dropped ranges in ``state`` (in place); seqs and ranges
    beyond the bounds are left out and listed in ``refused`` / ``refused_ranges``."""
    change = SeqChange()
    jump = max_jump if max_jump is not None else 2**64
    gaps_max = max_gaps if max_gaps is not None else 2**64
    for seq in sorted(set(received)):
        if seq > state.max_seq:
            refusal = _refusal(state, seq, seq, jump, gaps_max)
            if refusal is not None:
                change.refused[seq] = refusal
                continue
            if seq > state.max_seq + 1:
                gap = (state.max_seq + 1, seq - 1)
                state.gaps.append(gap)
                change.opened.append(gap)
            state.max_seq = seq
        else:
            _remove_one(state.gaps, seq)
    for first, last in sorted(dropped):
        if last > state.max_seq:
            if _refusal(state, last, first, jump, gaps_max) is not None:
                change.refused_ranges.append((first, last))
                continue
            if first > state.max_seq + 1:
                gap = (state.max_seq + 1, first - 1)
                state.gaps.append(gap)
                change.opened.append(gap)
            change.lost.append((max(first, state.max_seq + 1), last))
            state.max_seq = last
        state.gaps, removed = _subtract(state.gaps, first, last)
        change.lost.extend(removed)
    state.gaps.sort()
    change.lost.sort()
    return change
