"""Rate limits of the citizen form: per client address and per counter (the `limits` library).

Moving windows in ``CF_RATE_LIMIT_STORAGE`` (``memory://`` per process, ``redis://`` shared).
Every post counts against its client address; only submissions about to be stored count
against their counter, so a flood of broken posts cannot close a counter's form.
"""

from __future__ import annotations

from limits import RateLimitItem, parse_many
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from collector.feedback.settings import FeedbackSettings


class FeedbackLimiter:
    def __init__(self, settings: FeedbackSettings) -> None:
        uri = settings.rate_limit_storage
        storage = storage_from_string(uri if uri.startswith("async+") else "async+" + uri)
        self._limiter = MovingWindowRateLimiter(storage)
        self._client: list[RateLimitItem] = parse_many(settings.feedback_client_limit)
        self._counter: list[RateLimitItem] = parse_many(settings.feedback_counter_limit)

    async def _hit_all(self, items: list[RateLimitItem], *keys: str) -> bool:
        allowed = True
        for item in items:
            allowed = await self._limiter.hit(item, "feedback", *keys) and allowed
        return allowed

    async def client_allowed(self, client: str) -> bool:
        """Counts one post from ``client``; False when it has posted too many."""
        return await self._hit_all(self._client, "client", client)

    async def counter_allowed(self, office_id: str, counter_label: str) -> bool:
        """Counts one submission for the counter; False when its code took too many."""
        return await self._hit_all(self._counter, "counter", office_id, counter_label)
