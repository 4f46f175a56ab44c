"""One-time links (set a first password, reset a forgotten one): random, hashed, expiring.

The link carries 32 random bytes; the database keeps only their SHA-256, when it expires and
when it was used. Using one marks it used in the same transaction that changes the password,
so a link works once even when two requests race.
"""

from __future__ import annotations

import hashlib
import secrets

from collector.accounts.sessions import now_ms
from collector.storage import Driver, Tx

PURPOSE_SET = "set_password"
PURPOSE_RESET = "reset_password"


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


async def create_link(tx: Tx, person_id: str, purpose: str, ttl_s: int) -> str:
    """A new link token for ``person_id``; earlier unused links of the person stop working."""
    now = now_ms()
    await tx.execute(
        "UPDATE one_time_links SET used_ms = ? WHERE person_id = ? AND used_ms IS NULL",
        now,
        person_id,
    )
    token = secrets.token_urlsafe(32)
    await tx.execute(
        "INSERT INTO one_time_links (link_hash, person_id, purpose, created_ms, expires_ms) "
        "VALUES (?, ?, ?, ?, ?)",
        _hash(token),
        person_id,
        purpose,
        now,
        now + ttl_s * 1000,
    )
    return token


async def peek_link(driver: Driver, token: str) -> str | None:
    """The person a live link belongs to (without using it), or None."""
    row = await driver.fetchrow(
        "SELECT person_id FROM one_time_links WHERE link_hash = ? AND used_ms IS NULL "
        "AND expires_ms > ?",
        _hash(token),
        now_ms(),
    )
    return row["person_id"] if row else None


async def use_link(tx: Tx, token: str) -> str | None:
    """Mark a live link used and return its person, or None when it is not (or no longer) live."""
    now = now_ms()
    changed = await tx.execute(
        "UPDATE one_time_links SET used_ms = ? WHERE link_hash = ? AND used_ms IS NULL "
        "AND expires_ms > ?",
        now,
        _hash(token),
        now,
    )
    if changed != 1:
        return None
    row = await tx.fetchrow(
        "SELECT person_id FROM one_time_links WHERE link_hash = ?", _hash(token)
    )
    return row["person_id"] if row else None
