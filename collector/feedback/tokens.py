"""Signed counter tokens: what a counter's QR code carries.

``<key id>.<office>.<counter>.<expiry day>.<signature>``: the counter label in base64url (it
may be Thai), the expiry in days since 1970-01-01 (UTC), the signature the first 16 bytes of
HMAC-SHA256 over everything before it, base64url. Short, so the QR code stays small and easy
to scan from a counter. Pure functions: the keys come from :mod:`collector.feedback.keys`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from enum import StrEnum

DAY_MS = 86_400_000
_OFFICE = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")
_KID = re.compile(r"^k[0-9]{1,6}$")
MAX_TOKEN = 300


class TokenProblem(StrEnum):
    MALFORMED = "malformed"
    SIGNATURE = "signature"
    UNKNOWN_KEY = "unknown_key"
    EXPIRED = "expired"
    KEY_RETIRED = "key_retired"


class TokenError(Exception):
    def __init__(self, problem: TokenProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem

    @property
    def expired(self) -> bool:
        return self.problem in (TokenProblem.EXPIRED, TokenProblem.KEY_RETIRED)


@dataclass(frozen=True, slots=True)
class CounterToken:
    key_id: str
    office_id: str
    counter_label: str
    expires_day: int

    @property
    def expires_ms(self) -> int:
        return (self.expires_day + 1) * DAY_MS


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, body: str) -> str:
    return b64url(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()[:16])


def sign(key: bytes, token: CounterToken) -> str:
    if not _OFFICE.match(token.office_id) or not _KID.match(token.key_id):
        raise ValueError("office id or key id out of pattern")
    counter = b64url(token.counter_label.encode("utf-8"))
    body = f"{token.key_id}.{token.office_id}.{counter}.{token.expires_day}"
    return f"{body}.{_mac(key, body)}"


def key_id_of(text: str) -> str:
    """The key id a token names (before its signature is checked); MALFORMED if none."""
    kid = text.split(".", 1)[0]
    if len(text) > MAX_TOKEN or not _KID.match(kid):
        raise TokenError(TokenProblem.MALFORMED)
    return kid


def verify(key: bytes, text: str, now_ms: int) -> CounterToken:
    """The token's content if ``key`` signed it and it has not expired; else TokenError."""
    parts = text.split(".")
    if len(text) > MAX_TOKEN or len(parts) != 5:
        raise TokenError(TokenProblem.MALFORMED)
    kid, office, counter_b64, day, mac = parts
    if not (_KID.match(kid) and _OFFICE.match(office) and day.isdigit()):
        raise TokenError(TokenProblem.MALFORMED)
    body = ".".join(parts[:4])
    if not hmac.compare_digest(_mac(key, body), mac):
        raise TokenError(TokenProblem.SIGNATURE)
    try:
        counter = _unb64(counter_b64).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise TokenError(TokenProblem.MALFORMED) from None
    token = CounterToken(kid, office, counter, int(day))
    if now_ms >= token.expires_ms:
        raise TokenError(TokenProblem.EXPIRED)
    return token
