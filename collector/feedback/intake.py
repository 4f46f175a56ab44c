"""One path from a citizen's post to a stored comment, shared by the phone form and the API.

Order: the client's rate limit, the counter token, the fields, the counter's rate limit,
then one transaction (comments.submit). Any refusal stores nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from collector.feedback.comments import submit
from collector.feedback.context import FeedbackContext
from collector.feedback.counters import counter_scale
from collector.feedback.keys import now_ms
from collector.feedback.model import check
from collector.feedback.receipts import Receipt
from collector.feedback.tokens import CounterToken, TokenError, TokenProblem
from collector.storage import Driver, Row

_LOGGER = logging.getLogger(__name__)


class RateLimitedError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Counter:
    token: CounterToken
    office: Row
    scale: int


async def open_counter(ctx: FeedbackContext, driver: Driver, token_text: str) -> Counter:
    """The counter a token names; TokenError when it is tampered, expired or names no office."""
    token = await ctx.signer(driver).check(token_text)
    office = await driver.fetchrow(
        "SELECT office_id, name_th, name_en FROM offices WHERE office_id = ?", token.office_id
    )
    if office is None:
        raise TokenError(TokenProblem.MALFORMED)
    scale = await counter_scale(driver, token.office_id, token.counter_label)
    return Counter(token, office, scale)


async def receive(
    ctx: FeedbackContext,
    driver: Driver,
    *,
    token_text: str,
    raw: dict[str, Any],
    client: str,
    lang: str,
) -> tuple[Counter, Receipt]:
    if not await ctx.limiter.client_allowed(client):
        raise RateLimitedError("client")
    counter = await open_counter(ctx, driver, token_text)
    sub = check(
        raw,
        scale=counter.scale,
        comment_max=ctx.settings.feedback_comment_max,
        contact_allowed=ctx.contact_allowed(),
        lang=lang,
    )
    if not await ctx.limiter.counter_allowed(counter.token.office_id, counter.token.counter_label):
        raise RateLimitedError("counter")
    receipt = await submit(
        driver,
        master=await ctx.signer(driver).master(),
        token=counter.token,
        scale=counter.scale,
        sub=sub,
        client=client,
        now_ms=now_ms(),
        dedupe_window_s=ctx.settings.feedback_dedupe_window_s,
    )
    _LOGGER.info(
        "feedback stored",
        extra={
            "office_id": counter.token.office_id,
            "duplicate": receipt.duplicate,
            "complaint": sub.is_complaint,
            "pii_removed": sub.pii_removed,
        },
    )
    return counter, receipt
