"""Server-side sessions: the cookie holds a random id, the database its hash, expiry and state.

Because the state is in the database, logout and revocation (a password change, an admin
deactivating someone) take effect at once, in every collector process.
"""

from __future__ import annotations

import hashlib
import secrets
import time

from collector.storage import Driver

SESSION_COOKIE = "cf_session"


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def now_ms() -> int:
    return int(time.time() * 1000)


async def open_session(driver: Driver, person_id: str, ttl_s: int) -> str:
    """A new session for ``person_id``; returns the cookie value (shown to nobody else)."""
    token = secrets.token_urlsafe(32)
    now = now_ms()
    async with driver.transaction() as tx:
        await tx.execute(
            "INSERT INTO sessions (session_hash, person_id, csrf, created_ms, expires_ms) "
            "VALUES (?, ?, ?, ?, ?)",
            _hash(token),
            person_id,
            secrets.token_urlsafe(32),
            now,
            now + ttl_s * 1000,
        )
    return token


async def session_of(driver: Driver, token: str) -> tuple[str, str] | None:
    """(person_id, csrf token) of a live session, or None (unknown, expired or revoked)."""
    row = await driver.fetchrow(
        "SELECT person_id, csrf FROM sessions WHERE session_hash = ? "
        "AND revoked_ms IS NULL AND expires_ms > ?",
        _hash(token),
        now_ms(),
    )
    return (row["person_id"], row["csrf"]) if row else None


async def close_session(driver: Driver, token: str) -> None:
    async with driver.transaction() as tx:
        await tx.execute(
            "UPDATE sessions SET revoked_ms = ? WHERE session_hash = ? AND revoked_ms IS NULL",
            now_ms(),
            _hash(token),
        )


async def revoke_sessions(driver: Driver, person_id: str) -> int:
    """End every session of a person; returns how many were live."""
    async with driver.transaction() as tx:
        ended: int = await tx.execute(
            "UPDATE sessions SET revoked_ms = ? WHERE person_id = ? AND revoked_ms IS NULL",
            now_ms(),
            person_id,
        )
    return ended
