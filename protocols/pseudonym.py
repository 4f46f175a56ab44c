"""Visitor pseudonyms and day keys (PROTOCOL.md "Visitor pseudonym"), schemes ``cf2`` and ``cf1``.

cf2 (current): day_key(O, D) = HMAC-SHA256(pepper, "cf2-day|" + O + "|" + D); visitor =
base32(Argon2id(citizen_id, salt=day_key, t=2, m=16384 KiB, p=1, len=16))[:26], lowercase.
A key reveals one office's day, and every guess costs one memory-hard Argon2id run.

cf1 (the first devices, still accepted): day_key(D) = HMAC-SHA256(pepper, "cf1-day|" + D);
visitor = base32(HMAC-SHA256(day_key(D), "cf1|" + citizen_id))[:26], lowercase.

The master pepper stays central; devices hold day keys only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

PEPPER_BYTES = 32
PSEUDONYM_LENGTH = 26

Scheme = Literal["cf1", "cf2"]
SCHEMES: tuple[Scheme, ...] = ("cf1", "cf2")
CURRENT_SCHEME: Scheme = "cf2"

# Argon2id parameters of cf2, fixed by the protocol (changing any of them is a new scheme).
CF2_TIME_COST = 2
CF2_MEMORY_KIB = 16384
CF2_PARALLELISM = 1
CF2_HASH_LEN = 16


def _check_pepper(pepper: bytes) -> None:
    if len(pepper) < PEPPER_BYTES:
        raise ValueError(f"the master pepper must be at least {PEPPER_BYTES} bytes")


def day_key(pepper: bytes, day: date) -> bytes:
    """The cf1 day key for ``day`` (the same for the whole deployment; old devices only)."""
    _check_pepper(pepper)
    return hmac.digest(pepper, b"cf1-day|" + day.isoformat().encode("ascii"), hashlib.sha256)


def cf2_day_key(pepper: bytes, office_id: str, day: date) -> bytes:
    """The cf2 day key of office ``office_id`` for its office-local date ``day``."""
    _check_pepper(pepper)
    message = f"cf2-day|{office_id}|{day.isoformat()}".encode("ascii")
    return hmac.digest(pepper, message, hashlib.sha256)


def _base32(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii").rstrip("=")[:PSEUDONYM_LENGTH].lower()


def visitor_pseudonym(key: bytes, citizen_id: str) -> str:
    """The cf1 pseudonym of ``citizen_id`` under one cf1 day key. The id itself is not kept."""
    return _base32(hmac.digest(key, b"cf1|" + citizen_id.encode("ascii"), hashlib.sha256))


def cf2_visitor_pseudonym(key: bytes, citizen_id: str) -> str:
    """The cf2 pseudonym of ``citizen_id`` under one cf2 day key (one Argon2id run)."""
    # Imported here: only devices (and tests) compute pseudonyms; the collector and the
    # Ansible control node derive keys with HMAC and need no argon2 binding.
    from argon2.low_level import Type, hash_secret_raw  # noqa: PLC0415

    raw = hash_secret_raw(
        secret=citizen_id.encode("ascii"),
        salt=key,
        time_cost=CF2_TIME_COST,
        memory_cost=CF2_MEMORY_KIB,
        parallelism=CF2_PARALLELISM,
        hash_len=CF2_HASH_LEN,
        type=Type.ID,
    )
    return _base32(raw)


@dataclass(frozen=True, slots=True)
class DayKey:
    """One day's key with the scheme it belongs to; the pseudonym always uses that scheme."""

    scheme: Scheme
    key: bytes = field(repr=False)  # a secret: never in a repr, log line or traceback

    def pseudonym(self, citizen_id: str) -> str:
        if self.scheme == "cf2":
            return cf2_visitor_pseudonym(self.key, citizen_id)
        return visitor_pseudonym(self.key, citizen_id)
