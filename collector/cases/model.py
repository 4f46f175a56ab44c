"""The case as the rest of the collector sees it: its contact, its steps and their states."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CaseState = Literal["received", "forwarded", "accepted", "closed"]

# The lifecycle in order; a case only moves forward along it.
STATES: tuple[CaseState, ...] = ("received", "forwarded", "accepted", "closed")

# Complaint categories of the phone form (issue 11); the payload schema lists the same.
CATEGORIES: tuple[str, ...] = (
    "delay",
    "staff_conduct",
    "copy_or_fee",
    "corruption",
    "facilities",
    "other",
)


@dataclass(frozen=True, slots=True)
class CaseContact:
    """A citizen's contact, given with PDPA consent; stored encrypted and purged later."""

    kind: Literal["phone", "email"]
    value: str

    def __repr__(self) -> str:  # never let a contact reach a log line through repr()
        return f"CaseContact(kind={self.kind!r}, value=<redacted>)"


@dataclass(frozen=True, slots=True)
class CaseStep:
    """One timestamped step of a case's lifecycle."""

    state: CaseState
    at_ms: int
    centre_ref: str | None = None
    outcome: str | None = None
    note: str | None = None


def state_rank(state: str) -> int:
    """Position of ``state`` in the lifecycle (unknown states rank below every known one)."""
    return STATES.index(state) if state in STATES else -1
