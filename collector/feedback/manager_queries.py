"""What the managers read: an office's comments, filtered, each with its case's steps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from collector.feedback.case_seam import Step, timeline
from collector.storage import Driver, Row


@dataclass(frozen=True, slots=True)
class CommentFilter:
    from_ms: int
    to_ms: int
    category: str | None = None
    status: str | None = None  # a case state, or "none" (no case)
    channel: str | None = None
    hidden: str = "exclude"  # exclude | include | only


_MANAGER = (
    "comment_id, reference, office_id, counter_label, channel, scale, score, body, pii_removed, "
    "is_complaint, category, contact_offered, created_ms, spam, spam_reason, hidden, hidden_by, "
    "hidden_ms, reply_text, reply_by, reply_ms, case_id"
)


def _manager_json(row: Row, steps: list[Step]) -> dict[str, Any]:
    out = dict(row)
    for key in ("is_complaint", "contact_offered", "spam", "hidden"):
        out[key] = bool(out[key])
    out["steps"] = [s.to_json() for s in steps]
    out["case_state"] = steps[-1].state if steps else None
    return out


async def list_comments(
    driver: Driver, office_id: str, f: CommentFilter, limit: int, offset: int
) -> list[dict[str, Any]]:
    where = ["office_id = ?", "created_ms >= ?", "created_ms < ?"]
    args: list[Any] = [office_id, f.from_ms, f.to_ms]
    if f.category is not None:
        where.append("category = ?")
        args.append(f.category)
    if f.channel is not None:
        where.append("channel = ?")
        args.append(f.channel)
    if f.hidden == "exclude":
        where.append("hidden = 0")
    elif f.hidden == "only":
        where.append("hidden = 1")
    if f.status == "none":
        where.append("case_id IS NULL")
    elif f.status is not None:
        where.append("case_id IS NOT NULL")
    sql = f"SELECT {_MANAGER} FROM feedback_comments WHERE {' AND '.join(where)} "  # noqa: S608
    sql += "ORDER BY created_ms DESC, comment_id"
    rows = await driver.fetch(sql, *args)
    out: list[dict[str, Any]] = []
    for row in rows:
        steps = await timeline(driver, row["comment_id"]) if row["case_id"] else []
        if f.status not in (None, "none") and (not steps or steps[-1].state != f.status):
            continue
        out.append(_manager_json(row, steps))
    return out[offset : offset + limit]


async def comment_office(driver: Driver, comment_id: str) -> str | None:
    row = await driver.fetchrow(
        "SELECT office_id FROM feedback_comments WHERE comment_id = ?", comment_id
    )
    return str(row["office_id"]) if row else None


async def one_comment(driver: Driver, comment_id: str) -> dict[str, Any]:
    row = await driver.fetchrow(
        f"SELECT {_MANAGER} FROM feedback_comments WHERE comment_id = ?",  # noqa: S608
        comment_id,
    )
    assert row is not None
    steps = await timeline(driver, comment_id) if row["case_id"] else []
    return _manager_json(row, steps)
