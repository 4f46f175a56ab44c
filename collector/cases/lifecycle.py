"""Moving a case along received → forwarded → accepted → closed, one timestamped step each.

A case never moves backwards. A step that arrives out of order (the centre's "accepted" callback
before the forwarder recorded its own answer) fills in the skipped step at the same moment, so
every case's timeline shows each state once, in order.
"""

from __future__ import annotations

from dataclasses import dataclass

from collector.cases.model import STATES, CaseState, state_rank
from collector.storage import Tx


class TransitionRefusedError(Exception):
    """The step would move the case backwards or the case does not exist."""

    def __init__(self, reason: str, *, missing: bool = False) -> None:
        super().__init__(reason)
        self.missing = missing


@dataclass(frozen=True, slots=True)
class Moved:
    case_id: str
    state: CaseState
    changed: bool


async def _step(
    tx: Tx,
    case_id: str,
    state: CaseState,
    at_ms: int,
    *,
    centre_ref: str | None = None,
    outcome: str | None = None,
    note: str | None = None,
) -> None:
    await tx.execute(
        "INSERT INTO case_steps (case_id, state, at_ms, centre_ref, outcome, note) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        case_id,
        state,
        at_ms,
        centre_ref,
        outcome,
        note,
    )


async def advance(
    tx: Tx,
    case_id: str,
    target: CaseState,
    at_ms: int,
    *,
    centre_ref: str | None = None,
    outcome: str | None = None,
    note: str | None = None,
) -> Moved:
    """Move ``case_id`` to ``target`` (filling skipped states); the same state again is a no-op."""
    row = await tx.fetchrow("SELECT state, centre_ref FROM cases WHERE case_id = ?", case_id)
    if row is None:
        raise TransitionRefusedError(f"no case {case_id}", missing=True)
    current = str(row["state"])
    if state_rank(current) == state_rank(target):
        return Moved(case_id, target, changed=False)
    if state_rank(current) > state_rank(target):
        raise TransitionRefusedError(f"case is already {current}; cannot go back to {target}")
    ref = centre_ref or row["centre_ref"]
    for state in STATES[state_rank(current) + 1 : state_rank(target)]:
        await _step(tx, case_id, state, at_ms, centre_ref=ref if state != "forwarded" else None)
    await _step(tx, case_id, target, at_ms, centre_ref=centre_ref, outcome=outcome, note=note)
    await tx.execute(
        "UPDATE cases SET state = ?, centre_ref = ?, outcome = coalesce(?, outcome), "
        "updated_ms = ?, closed_ms = CASE WHEN ? = 'closed' THEN ? ELSE closed_ms END "
        "WHERE case_id = ?",
        target,
        ref,
        outcome,
        at_ms,
        target,
        at_ms,
        case_id,
    )
    return Moved(case_id, target, changed=True)
