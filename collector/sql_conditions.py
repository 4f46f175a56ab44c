"""Optional filters of a query: ``" AND <condition>"`` for each filter whose value was given.

Report and list queries take several filters that may each be absent (an office, a time window,
an audit record); the SQL and its arguments are built here in one step, in the order given, so
the text stays the same for the same filters (one SQL text serves SQLite and PostgreSQL).
"""

from __future__ import annotations

from typing import Any


def given_conditions(*filters: tuple[str, Any]) -> tuple[str, list[Any]]:
    """``(" AND a = ? AND b < ?", [a, b])`` for the ``(condition, value)`` pairs whose value is
    not None; each condition has one ``?`` for its value."""
    given = [(condition, value) for condition, value in filters if value is not None]
    return "".join(f" AND {condition}" for condition, _ in given), [value for _, value in given]
