"""What the citizen's status page shows: the comment, the office's reply and the case's steps.

Only with the reference and the right secret (compared with the stored hash in constant time).
"""

from __future__ import annotations

import hmac
from typing import Any

from collector.feedback.case_seam import timeline
from collector.feedback.receipts import REFERENCE, secret_hash
from collector.storage import Driver

_PUBLIC = (
    "comment_id, reference, secret_hash, office_id, counter_label, channel, scale, score, body, "
    "pii_removed, is_complaint, category, created_ms, reply_text, reply_ms, case_id"
)


async def citizen_status(driver: Driver, reference: str, secret: str) -> dict[str, Any] | None:
    """What the citizen's status page shows, or None (unknown reference or wrong secret)."""
    if not REFERENCE.match(reference) or len(secret) > 128:
        return None
    row = await driver.fetchrow(
        f"SELECT {_PUBLIC} FROM feedback_comments WHERE reference = ?",  # noqa: S608
        reference,
    )
    if row is None or not hmac.compare_digest(row["secret_hash"], secret_hash(secret)):
        return None
    office = await driver.fetchrow(
        "SELECT name_th, name_en FROM offices WHERE office_id = ?", row["office_id"]
    )
    steps = await timeline(driver, row["comment_id"]) if row["case_id"] else []
    out = {k: v for k, v in row.items() if k not in ("secret_hash", "comment_id")}
    out["is_complaint"] = bool(out["is_complaint"])
    out["office_name_th"] = office["name_th"] if office else ""
    out["office_name_en"] = office["name_en"] if office else ""
    out["steps"] = [s.to_json() for s in steps]
    return out
