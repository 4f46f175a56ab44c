"""The one place this part meets the case lifecycle (collector/cases, the 1111 connector).

``open_case`` runs inside the transaction that stores a complaint, so a complaint and its
case exist together or not at all; ``timeline`` reads a comment's case steps for the status
page and the managers' view. Both call the cases part's own functions
(``collector.cases.intake``): this module only says how a stored comment maps onto a case. The
contact is handed over as a ``CaseContact`` and stored (encrypted) by that part, never here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from collector.cases import intake as cases
from collector.cases.model import CaseContact
from collector.feedback.model import Submission
from collector.feedback.tokens import CounterToken
from collector.rating_privacy import HOUR_MS, floor_hour
from collector.storage import Driver, Tx


@dataclass(frozen=True, slots=True)
class Step:
    state: str
    at_ms: int
    centre_ref: str | None
    outcome: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "at_ms": self.at_ms,
            "centre_ref": self.centre_ref,
            "outcome": self.outcome,
        }


async def open_case(
    tx: Tx, comment_id: str, token: CounterToken, sub: Submission, now_ms: int
) -> str | None:
    """The case of a complaint just stored (None for a comment that is no complaint).

    The case names the hour of the complaint, not its minute; the contact goes with it only
    when the citizen gave one (with consent: ``model.check`` refuses a contact without it).
    """
    if not sub.is_complaint or sub.category is None:
        return None
    hour = floor_hour(now_ms)
    contact = (
        CaseContact(kind=sub.contact_kind, value=sub.contact)
        if sub.contact and sub.contact_kind
        else None
    )
    return await cases.open_case(
        tx,
        comment_id=comment_id,
        office_id=token.office_id,
        counter_label=token.counter_label,
        category=sub.category,
        text=sub.text,
        window_start_ms=hour,
        window_end_ms=hour + HOUR_MS,
        contact=contact,
        now_ms=now_ms,
    )


async def timeline(driver: Driver, comment_id: str) -> list[Step]:
    steps = await cases.case_timeline(driver, comment_id)
    return [
        Step(
            state=str(s.state),
            at_ms=int(s.at_ms),
            centre_ref=getattr(s, "centre_ref", None),
            outcome=getattr(s, "outcome", None),
        )
        for s in steps
    ]
