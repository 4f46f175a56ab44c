"""Complaint cases and the 1111 connector (issue 11): intake, lifecycle, sealed contacts, outbox,
transports (webhook, email), the centre's signed callbacks, purge; see README.md."""

from collector.cases.intake import case_timeline, open_case
from collector.cases.model import CaseContact, CaseStep
from collector.cases.sealing import contacts_enabled

__all__ = ["CaseContact", "CaseStep", "case_timeline", "contacts_enabled", "open_case"]
