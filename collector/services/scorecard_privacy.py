"""What the public may learn from scorecards: closed whole hours, no card below k ratings.

The same rules as public rating summaries (collector/rating_privacy.py): a card counts only
ratings of hours that have closed, so asking before and after a citizen's rating does not reveal
it; a card of fewer than k (``CF_K_ANONYMITY``) ratings shows no count, mean or interval and says
``suppressed``; times are rounded down to the hour. The ranking leaves such offices out and says
how many it left out.
"""

from __future__ import annotations

from typing import Any

from collector.rating_privacy import floor_hour

HIDDEN = {"count": None, "mean": None, "interval_95": None, "shrunk_mean": None}


def _hour(ms: int | None) -> int | None:
    return None if ms is None else floor_hour(ms)


def public_card(entry: dict[str, Any], k: int) -> dict[str, Any]:
    """One card (a period of an office, or a ranking row) in its public form."""
    if entry["count"] is None or entry["count"] < k:
        return {**entry, **HIDDEN, "last_rating_ms": None, "suppressed": True}
    return {**entry, "last_rating_ms": _hour(entry["last_rating_ms"]), "suppressed": False}


def public_scorecard(scorecard: dict[str, Any], k: int) -> dict[str, Any]:
    """An office's scorecard with every period in public form; ``opens_on`` the first shown."""
    periods = [public_card(p, k) for p in scorecard["periods"]]
    shown = [p for p in periods if not p["suppressed"]]
    return {
        **scorecard,
        "k_anonymity": k,
        "opens_on": shown[0]["period"] if shown else None,
        "last_rating_ms": max((p["last_rating_ms"] for p in shown), default=None),
        "periods": periods,
    }
