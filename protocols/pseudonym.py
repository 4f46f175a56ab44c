"""Visitor pseudonyms and day keys (PROTOCOL.md "Visitor pseudonym").

day_key(D) = HMAC-SHA256(master pepper, "cf1-day|" + D); visitor = base32(HMAC-SHA256(day_key(D),
"cf1|" + citizen_id))[:26], lowercase. The master pepper stays central; devices hold day keys only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import date

PEPPER_BYTES = 32
PSEUDONYM_LENGTH = 26


def day_key(pepper: bytes, day: date) -> bytes:
    """The day key for office-local date ``day``, derived from the deployment's master pepper."""
    if len(pepper) < PEPPER_BYTES:
        raise ValueError(f"the master pepper must be at least {PEPPER_BYTES} bytes")
    return hmac.digest(pepper, b"cf1-day|" + day.isoformat().encode("ascii"), hashlib.sha256)


def visitor_pseudonym(key: bytes, citizen_id: str) -> str:
    """The visitor pseudonym of ``citizen_id`` under one day key. The id itself is not kept."""
    mac = hmac.digest(key, b"cf1|" + citizen_id.encode("ascii"), hashlib.sha256)
    return base64.b32encode(mac).decode("ascii")[:PSEUDONYM_LENGTH].lower()
