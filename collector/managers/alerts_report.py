"""The alerts fired for offices in scope, for the page and the API (counts under k hidden)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from collector.analytics.filters import DateRange
from collector.fleet import iso
from collector.storage import Driver


async def alert_list(
    driver: Driver, offices: Iterable[str], period: DateRange, k: int, limit: int = 200
) -> list[dict[str, Any]]:
    ids = sorted(set(offices))
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    rows = await driver.fetch(
        "SELECT alert_id, office_id, fired_ms, window_start_ms, ratings, negative, "  # noqa: S608
        f"email_state, webhook_state, attempts FROM office_alerts WHERE office_id IN ({marks}) "
        "AND fired_ms >= ? AND fired_ms < ? ORDER BY fired_ms DESC LIMIT ?",
        *ids,
        period.start_ms,
        period.end_ms,
        limit,
    )
    out = []
    for r in rows:
        hidden = int(r["ratings"]) < k
        out.append(
            {
                "alert_id": r["alert_id"],
                "office_id": r["office_id"],
                "fired": iso(r["fired_ms"]),
                "window_start": iso(r["window_start_ms"]),
                "ratings": None if hidden else int(r["ratings"]),
                "negative": None if hidden else int(r["negative"]),
                "suppressed": hidden,
                "email": r["email_state"],
                "webhook": r["webhook_state"],
                "attempts": int(r["attempts"]),
            }
        )
    return out
