"""Finding the first copy of a submission sent again: the same form, or the same content.

A resubmitted form carries the same nonce. The same content from the same client and counter
within the dedupe window counts as the same comment too; the client is known only by a per-day
pseudonym of its address, so the address itself is never stored.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from collector.feedback.model import Submission
from collector.feedback.tokens import CounterToken
from collector.storage import Driver, Row, Tx


def client_hash(master: bytes, client: str, day: int) -> str:
    """A per-day pseudonym of the client address: dedupe without keeping the address."""
    msg = f"cf-fb-client|{client}|{day}".encode()
    return hmac.new(master, msg, hashlib.sha256).hexdigest()[:32]


def content_hash(token: CounterToken, sub: Submission) -> str:
    text = f"{token.office_id}|{token.counter_label}|{sub.score}|{sub.is_complaint}|"
    text += f"{sub.category}|{sub.text}"
    return hashlib.sha256(text.encode()).hexdigest()


async def _existing(db: Driver | Tx, where: str, *args: Any) -> Row | None:
    return await db.fetchrow(
        f"SELECT comment_id, reference, case_id FROM feedback_comments WHERE {where}",  # noqa: S608 (callers pass constant SQL)
        *args,
    )


async def first_copy(
    tx: Tx,
    token: CounterToken,
    sub: Submission,
    *,
    chash: str,
    body_hash: str,
    since_ms: int,
) -> Row | None:
    """The stored comment this submission repeats (``comment_id``, ``reference``, ``case_id``)."""
    if sub.nonce is not None:
        known = await _existing(tx, "form_nonce = ?", sub.nonce)
        if known is not None:
            return known
    return await _existing(
        tx,
        "office_id = ? AND counter_label = ? AND client_hash = ? AND content_hash = ? "
        "AND created_ms >= ? ORDER BY created_ms LIMIT 1",
        token.office_id,
        token.counter_label,
        chash,
        body_hash,
        since_ms,
    )
