"""The one place this part meets the case lifecycle (collector/cases, the 1111 connector).

``open_case`` runs inside the transaction that stores a complaint, so a complaint and its
case exist together or not at all; ``timeline`` reads a comment's case steps for the status
page and the managers' view. Both are the cases part's own functions
(``collector.cases.intake``); the contact is handed over as a ``CaseContact`` and stored
(encrypted) by that part, never here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from collector.storage import Driver, Tx


@dataclass(frozen=True, slots=True)
class Contact:
    kind: str  # "phone" | "email"
    value: str


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
    tx: Tx,
    *,
    comment_id: str,
    office_id: str,
    counter_label: str,
    category: str,
    text: str,
    window_start_ms: int,
    window_end_ms: int,
    contact: Contact | None,
    now_ms: int,
) -> str:
    from collector.cases.intake import open_case as cases_open_case  # noqa: PLC0415
    from collector.cases.model import CaseContact  # noqa: PLC0415

    case_contact = (
        CaseContact(kind=contact.kind, value=contact.value)  # type: ignore[arg-type]
        if contact is not None
        else None
    )
    case_id: str = await cases_open_case(
        tx,
        comment_id=comment_id,
        office_id=office_id,
        counter_label=counter_label,
        category=category,
        text=text,
        window_start_ms=window_start_ms,
        window_end_ms=window_end_ms,
        contact=case_contact,
        now_ms=now_ms,
    )
    return case_id


async def timeline(driver: Driver, comment_id: str) -> list[Step]:
    from collector.cases.intake import case_timeline  # noqa: PLC0415

    steps = await case_timeline(driver, comment_id)
    return [
        Step(
            state=str(s.state),
            at_ms=int(s.at_ms),
            centre_ref=getattr(s, "centre_ref", None),
            outcome=getattr(s, "outcome", None),
        )
        for s in steps
    ]
