"""What the managers change on a comment: hide it (as spam) or show it again, and the office's
reply. Each change is one transaction with its audit record; the row and its history stay."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from collector.audit import Actor, record
from collector.storage import Driver

T = TypeVar("T")
CommentChange = Callable[[Driver, str, T, Actor, int], Awaitable[None]]
"""A change of this module: ``(driver, comment_id, value, actor, now_ms)``."""


async def _update(
    driver: Driver,
    comment_id: str,
    actor: Actor,
    changes: dict[str, Any],
    *,
    audited_before: str | None,
    audited_after: dict[str, Any],
) -> None:
    """Set ``changes`` (column: value) and record who did it; ``audited_before`` names the
    columns whose earlier values the audit record keeps (None: none)."""
    async with driver.transaction() as tx:
        before = None
        if audited_before is not None:
            before = await tx.fetchrow(
                f"SELECT {audited_before} FROM feedback_comments WHERE comment_id = ?",  # noqa: S608 (constant columns)
                comment_id,
            )
        assignments = ", ".join(f"{column} = ?" for column in changes)
        await tx.execute(
            f"UPDATE feedback_comments SET {assignments} WHERE comment_id = ?",  # noqa: S608 (constant columns)
            *changes.values(),
            comment_id,
        )
        await record(
            tx,
            actor,
            "update",
            entity="feedback_comment",
            entity_id=comment_id,
            before=dict(before) if before else None,
            after=audited_after,
        )


async def set_hidden(
    driver: Driver, comment_id: str, hidden: bool, actor: Actor, now_ms: int
) -> None:
    """Hide (as spam) or show again; the row and its history stay."""
    flag = int(hidden)
    await _update(
        driver,
        comment_id,
        actor,
        {"hidden": flag, "spam": flag, "hidden_by": actor.id, "hidden_ms": now_ms},
        audited_before="hidden, spam",
        audited_after={"hidden": flag, "spam": flag},
    )


async def set_reply(driver: Driver, comment_id: str, text: str, actor: Actor, now_ms: int) -> None:
    """The office's reply note, shown on the citizen's status page (empty text removes it)."""
    await _update(
        driver,
        comment_id,
        actor,
        {
            "reply_text": text or None,
            "reply_by": actor.id if text else None,
            "reply_ms": now_ms if text else None,
        },
        audited_before=None,
        audited_after={"reply": bool(text)},
    )
