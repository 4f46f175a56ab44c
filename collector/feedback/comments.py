"""Storing a citizen's submission: one transaction for the comment and what it sets off.

The comment row, its web rating (``web_ratings``) and, for a complaint, its case
(``case_seam.open_case``) are stored together or not at all. Spam (``spam``) is stored flagged
and hidden, never deleted, and neither counted nor forwarded. A resubmitted form or the same
content sent again (``dedupe``) returns the first receipt.
"""

from __future__ import annotations

import uuid

from collector.feedback.case_seam import open_case
from collector.feedback.dedupe import client_hash, content_hash, first_copy
from collector.feedback.model import CHANNEL_WEB, Submission
from collector.feedback.receipts import (
    Receipt,
    new_reference,
    receipt_of,
    secret_hash,
    status_secret,
)
from collector.feedback.spam import spam_reason
from collector.feedback.tokens import CounterToken
from collector.feedback.web_ratings import roll_up_web
from collector.storage import Driver

_COLUMNS = [
    ("comment_id", "text"),
    ("reference", "text"),
    ("secret_hash", "text"),
    ("form_nonce", "text"),
    ("channel", "text"),
    ("office_id", "text"),
    ("counter_label", "text"),
    ("key_id", "text"),
    ("scale", "integer"),
    ("score", "integer"),
    ("body", "text"),
    ("pii_removed", "integer"),
    ("is_complaint", "integer"),
    ("category", "text"),
    ("contact_offered", "integer"),
    ("lang", "text"),
    ("client_hash", "text"),
    ("content_hash", "text"),
    ("created_ms", "bigint"),
    ("spam", "integer"),
    ("spam_reason", "text"),
    ("hidden", "integer"),
]


async def submit(
    driver: Driver,
    *,
    master: bytes,
    token: CounterToken,
    scale: int,
    sub: Submission,
    client: str,
    now_ms: int,
    dedupe_window_s: int,
) -> Receipt:
    chash = client_hash(master, client, now_ms // 86_400_000)
    body_hash = content_hash(token, sub)
    reason = spam_reason(sub)
    for _attempt in range(5):
        comment_id = uuid.uuid4().hex
        async with driver.transaction() as tx:
            known = await first_copy(
                tx,
                token,
                sub,
                chash=chash,
                body_hash=body_hash,
                since_ms=now_ms - dedupe_window_s * 1000,
            )
            if known is not None:
                return receipt_of(master, known, duplicate=True)
            reference = new_reference()
            secret = status_secret(master, comment_id)
            inserted = await tx.insert_ignore(
                "feedback_comments",
                _COLUMNS,
                [
                    (
                        comment_id,
                        reference,
                        secret_hash(secret),
                        sub.nonce,
                        CHANNEL_WEB,
                        token.office_id,
                        token.counter_label,
                        token.key_id,
                        scale,
                        sub.score,
                        sub.text,
                        sub.pii_removed,
                        int(sub.is_complaint),
                        sub.category,
                        int(sub.contact is not None),
                        sub.lang,
                        chash,
                        body_hash,
                        now_ms,
                        int(reason is not None),
                        reason,
                        int(reason is not None),
                    )
                ],
            )
            if not inserted:
                continue  # a concurrent twin with the same nonce, or a reference collision
            case_id = None
            if reason is None:
                if sub.score is not None:
                    await roll_up_web(tx, token, scale, sub.score, now_ms)
                case_id = await open_case(tx, comment_id, token, sub, now_ms)
                if case_id is not None:
                    await tx.execute(
                        "UPDATE feedback_comments SET case_id = ? WHERE comment_id = ?",
                        case_id,
                        comment_id,
                    )
        return Receipt(comment_id, reference, secret, False, case_id)
    raise RuntimeError("could not store the comment (unique keys kept colliding)")
