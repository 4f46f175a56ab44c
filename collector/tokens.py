"""API bearer tokens for the roles ``ops`` and ``technician``; only their SHA-256 is stored.

Tokens are 32 random bytes, so a plain hash is enough (no password-style stretching needed).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from enum import StrEnum

from collector.storage import Driver

TOKEN_PREFIX = "cf_"  # noqa: S105 - a prefix that makes leaked tokens greppable


class Role(StrEnum):
    OPS = "ops"
    TECHNICIAN = "technician"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def store_token(driver: Driver, token: str, role: Role, name: str) -> None:
    async with driver.transaction() as tx:
        await tx.insert_ignore(
            "api_tokens",
            [
                ("token_hash", "text"),
                ("role", "text"),
                ("name", "text"),
                ("created_ms", "bigint"),
                ("revoked", "integer"),
            ],
            [(hash_token(token), role.value, name, int(time.time() * 1000), 0)],
        )


async def create_token(driver: Driver, role: Role, name: str) -> str:
    """A new token for ``role``; the caller shows it once, the database keeps only its hash."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    await store_token(driver, token, role, name)
    return token


async def role_of(driver: Driver, token: str) -> Role | None:
    """The role a presented token grants, or None (unknown or revoked)."""
    row = await driver.fetchrow(
        "SELECT role FROM api_tokens WHERE token_hash = ? AND revoked = 0", hash_token(token)
    )
    return Role(row["role"]) if row else None
