"""The HTTP JSON webhook transport (httpx): a signed POST of the payload to the centre.

Each attempt carries ``Idempotency-Key`` (the case id), ``X-CF-Timestamp`` and ``X-CF-Signature``
(HMAC-SHA256 over ``<timestamp>.<body>``, see signing.py). A 2xx answer is a delivery; a 409 is
the centre saying it already has this key, which is a delivery too. Anything else — 429 or 5xx
(``Retry-After`` honoured), other 4xx, a timeout, a refused or dropped connection — is a failed
attempt the outbox retries. Only an answer from the centre marks a case delivered: a timeout after
the body was sent is a failure, and the retry with the same key is answered idempotently.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from collector.cases.backoff import parse_retry_after
from collector.cases.settings import CaseSettings
from collector.cases.signing import IDEMPOTENCY_HEADER, signed_headers
from collector.cases.transport import Delivered, DeliveryFailedError


def _reference(response: httpx.Response) -> str | None:
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    ref = data.get("reference") if isinstance(data, dict) else None
    return str(ref)[:128] if ref else None


class WebhookTransport:
    name = "webhook"

    def __init__(self, settings: CaseSettings, *, client: httpx.AsyncClient | None = None) -> None:
        if not settings.cases_webhook_url:
            raise ValueError("CF_CASES_WEBHOOK_URL: needed when CF_CASES_TRANSPORT=webhook")
        if not settings.cases_webhook_secret:
            raise ValueError("CF_CASES_WEBHOOK_SECRET: needed when CF_CASES_TRANSPORT=webhook")
        self._url = settings.cases_webhook_url
        self._secret = settings.cases_webhook_secret
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(settings.cases_webhook_timeout_s),
            follow_redirects=False,
            headers={"User-Agent": "citizen-feedback-collector/1"},
        )

    async def deliver(
        self, idempotency_key: str, payload: dict[str, Any], body: bytes
    ) -> Delivered:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            IDEMPOTENCY_HEADER: idempotency_key,
            **signed_headers(self._secret, int(time.time()), body),
        }
        try:
            response = await self._client.post(self._url, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise DeliveryFailedError(f"timeout ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise DeliveryFailedError(f"connection: {type(exc).__name__}") from exc
        status = response.status_code
        if 200 <= status < 300 or status == 409:
            return Delivered(self.name, _reference(response))
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise DeliveryFailedError(f"http {status}", retry_after_s=retry_after)

    async def close(self) -> None:
        await self._client.aclose()
