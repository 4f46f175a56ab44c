"""A complaint becomes a case: the case, its first step and its outbox row, in the caller's
transaction (the one that stores the comment), so a complaint is never stored without its case
nor a case without the row that will forward it.
"""

from __future__ import annotations

import logging
import uuid

from collector.cases.model import CATEGORIES, CaseContact, CaseStep
from collector.cases.sealing import sealer
from collector.storage import Driver, Tx

_LOGGER = logging.getLogger(__name__)


async def open_case(
    tx: Tx,
    *,
    comment_id: str,
    office_id: str,
    counter_label: str,
    category: str,
    text: str,
    window_start_ms: int,
    window_end_ms: int,
    contact: CaseContact | None,
    now_ms: int,
) -> str:
    """Store a new case (state ``received``) and queue it for the centre; return its id.

    ``text`` must already be stripped of personal data (the feedback form does it). ``contact``
    is passed only when the citizen consented; it is sealed before it touches the database.
    A second call for the same comment returns the first case (a resubmitted form).
    """
    if category not in CATEGORIES:
        raise ValueError(f"category must be one of {', '.join(CATEGORIES)}, not {category!r}")
    if window_end_ms < window_start_ms:
        raise ValueError("window_end_ms is before window_start_ms")
    known = await tx.fetchrow("SELECT case_id FROM cases WHERE comment_id = ?", comment_id)
    if known is not None:
        return str(known["case_id"])
    # Random (v4), not time-ordered: the id goes to the centre, and a v7 id would tell it the
    # exact millisecond of the complaint that the rounded window keeps back.
    case_id = str(uuid.uuid4())
    sealed = sealer().seal(case_id, contact) if contact is not None else None
    await tx.execute(
        "INSERT INTO cases (case_id, comment_id, office_id, counter_label, category, body, "
        "window_start_ms, window_end_ms, state, has_contact, created_ms, updated_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'received', ?, ?, ?)",
        case_id,
        comment_id,
        office_id,
        counter_label,
        category,
        text,
        window_start_ms,
        window_end_ms,
        1 if sealed else 0,
        now_ms,
        now_ms,
    )
    await tx.execute(
        "INSERT INTO case_steps (case_id, state, at_ms) VALUES (?, 'received', ?)",
        case_id,
        now_ms,
    )
    if sealed is not None:
        key_id, blob = sealed
        await tx.execute(
            "INSERT INTO case_contacts (case_id, key_id, sealed, created_ms) VALUES (?, ?, ?, ?)",
            case_id,
            key_id,
            blob,
            now_ms,
        )
    await tx.execute(
        "INSERT INTO case_outbox (case_id, idempotency_key, status, next_try_ms, created_ms) "
        "VALUES (?, ?, 'pending', ?, ?)",
        case_id,
        case_id,
        now_ms,
        now_ms,
    )
    _LOGGER.info("case opened", extra={"case_id": case_id, "office_id": office_id})
    return case_id


def _step(row: dict[str, object]) -> CaseStep:
    return CaseStep(
        state=row["state"],  # type: ignore[arg-type]
        at_ms=int(row["at_ms"]),  # type: ignore[call-overload]
        centre_ref=row["centre_ref"],  # type: ignore[arg-type]
        outcome=row["outcome"],  # type: ignore[arg-type]
        note=row["note"],  # type: ignore[arg-type]
    )


async def case_timeline(db: Driver | Tx, comment_id: str) -> list[CaseStep]:
    """The steps of the case opened for ``comment_id``, oldest first (empty: no case)."""
    rows = await db.fetch(
        "SELECT s.state, s.at_ms, s.centre_ref, s.outcome, s.note FROM case_steps s "
        "JOIN cases c ON c.case_id = s.case_id WHERE c.comment_id = ? ORDER BY s.at_ms, s.id",
        comment_id,
    )
    return [_step(r) for r in rows]


async def case_id_for(db: Driver | Tx, comment_id: str) -> str | None:
    """The case opened for ``comment_id``, if any."""
    row = await db.fetchrow("SELECT case_id FROM cases WHERE comment_id = ?", comment_id)
    return str(row["case_id"]) if row else None
