"""Status updates from the centre: a signed JSON POST moves a case to accepted or closed.

The signature (signing.py) is checked first, then the signature is recorded in
``case_callbacks`` in the same transaction as the step it applies: a second delivery of the same
signed request is refused (409, replay), even inside the timestamp window.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from collector.cases.lifecycle import Moved, advance
from collector.storage import Driver


class CaseCallback(BaseModel):
    """What the centre says about one case."""

    model_config = ConfigDict(extra="forbid")

    case_id: str = Field(min_length=1, max_length=64, description="the case_id of the payload")
    status: Literal["accepted", "closed"] = Field(description="the case's new state")
    reference: str | None = Field(
        None, max_length=128, description="the centre's own reference (required for accepted)"
    )
    outcome: str | None = Field(None, max_length=2000, description="how it ended (for closed)")
    note: str | None = Field(None, max_length=2000, description="a note for the citizen")


class ReplayRefusedError(Exception):
    """This signed callback was applied already."""


async def apply_callback(
    driver: Driver, callback: CaseCallback, *, signature: str, now_ms: int
) -> Moved:
    async with driver.transaction() as tx:
        fresh = await tx.insert_ignore(
            "case_callbacks",
            (("signature", "text"), ("case_id", "text"), ("received_ms", "bigint")),
            [(signature, callback.case_id, now_ms)],
        )
        if fresh == 0:
            raise ReplayRefusedError("this callback was already applied (replay)")
        moved = await advance(
            tx,
            callback.case_id,
            callback.status,
            now_ms,
            centre_ref=callback.reference,
            outcome=callback.outcome,
            note=callback.note,
        )
        # The centre has the case: whatever attempt is still in flight need not be repeated.
        await tx.execute(
            "UPDATE case_outbox SET status = 'delivered', delivered_ms = ? "
            "WHERE case_id = ? AND status <> 'delivered'",
            now_ms,
            callback.case_id,
        )
    return moved
