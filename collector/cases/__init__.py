"""Complaint cases and the 1111 connector (issue 11): intake, lifecycle, sealed contacts, outbox,
transports (webhook, email), the centre's signed callbacks, purge; see README.md.

The names below are imported on first use (PEP 562): importing ``collector.cases.settings`` to
check ``CF_CASES_*`` at start-up must not pull in intake, sealing and the transports.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collector.cases.intake import case_timeline, open_case
    from collector.cases.model import CaseContact, CaseStep
    from collector.cases.sealing import contacts_enabled

_HOME = {
    "case_timeline": "collector.cases.intake",
    "open_case": "collector.cases.intake",
    "CaseContact": "collector.cases.model",
    "CaseStep": "collector.cases.model",
    "contacts_enabled": "collector.cases.sealing",
}
__all__ = ["CaseContact", "CaseStep", "case_timeline", "contacts_enabled", "open_case"]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'collector.cases' has no attribute {name!r}")
    return getattr(import_module(home), name)
