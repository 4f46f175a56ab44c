"""HMAC-SHA256 signatures over ``<unix seconds>.<body>`` both ways (to the centre, and back).

Headers: ``X-CF-Timestamp`` (unix seconds) and ``X-CF-Signature: sha256=<hex>``. The receiver
recomputes the MAC with the shared secret, compares in constant time and refuses a timestamp
outside its window; the collector also refuses a callback whose signature it has already applied
(``case_callbacks``), so a captured callback cannot be replayed within the window either.
"""

from __future__ import annotations

import hashlib
import hmac

TIMESTAMP_HEADER = "X-CF-Timestamp"
SIGNATURE_HEADER = "X-CF-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
_PREFIX = "sha256="


class SignatureError(Exception):
    """The request is not signed by whoever holds the shared secret, or is stale."""


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return _PREFIX + mac.hexdigest()


def signed_headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signature(secret, timestamp, body)}


def verify(
    secret: str,
    *,
    timestamp: str | None,
    given: str | None,
    body: bytes,
    now_s: float,
    window_s: float,
) -> str:
    """Check a signed request; return its signature (the replay key) or raise SignatureError."""
    if not secret:
        raise SignatureError("callbacks are disabled: CF_CASES_WEBHOOK_SECRET is not set")
    if not timestamp or not given:
        raise SignatureError(f"{TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers are required")
    try:
        ts = int(timestamp)
    except ValueError:
        raise SignatureError(f"{TIMESTAMP_HEADER}: expected unix seconds") from None
    if abs(now_s - ts) > window_s:
        raise SignatureError(f"{TIMESTAMP_HEADER}: outside the {int(window_s)} s window")
    expected = signature(secret, ts, body)
    if not hmac.compare_digest(expected, given.strip()):
        raise SignatureError(f"{SIGNATURE_HEADER}: does not match the body")
    return expected
