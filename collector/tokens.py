"""API bearer tokens: role, optional scope, expiry, revocation, last use; only SHA-256 is stored.

Tokens are 32 random bytes, so a plain hash is enough (no password-style stretching needed).
A token's public id is the first 12 hex digits of its hash: it names the token in ``token list``,
``token revoke`` and the audit log without revealing it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from collector.errors import ConfigError, NotFoundError
from collector.storage import Driver

_LOGGER = logging.getLogger(__name__)

TOKEN_PREFIX = "cf_"  # noqa: S105 - a prefix that makes leaked tokens greppable
BOOTSTRAP_NAME = "bootstrap (CF_BOOTSTRAP_OPS_TOKEN)"
ID_LENGTH = 12


class Role(StrEnum):
    """What a caller may do. ``viewer`` reads the fleet views; ``technician`` also registers
    offices and devices (optionally scoped); ``ops`` does everything."""

    VIEWER = "viewer"
    TECHNICIAN = "technician"
    OPS = "ops"


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a technician token may write the registry: these offices and/or these provinces.

    Empty (both sets empty) means everywhere. Reads are never scoped.
    """

    offices: frozenset[str] = field(default_factory=frozenset)
    provinces: frozenset[str] = field(default_factory=frozenset)

    @property
    def unlimited(self) -> bool:
        return not self.offices and not self.provinces

    def allows(self, office_id: str, province: str | None) -> bool:
        if self.unlimited:
            return True
        return office_id in self.offices or (province is not None and province in self.provinces)

    def to_json(self) -> str | None:
        if self.unlimited:
            return None
        return json.dumps({"offices": sorted(self.offices), "provinces": sorted(self.provinces)})

    @classmethod
    def from_json(cls, text: str | None) -> Scope:
        if not text:
            return cls()
        data: dict[str, Any] = json.loads(text)
        return cls(frozenset(data.get("offices", ())), frozenset(data.get("provinces", ())))

    def describe(self) -> str:
        if self.unlimited:
            return "everywhere"
        parts = [f"office {o}" for o in sorted(self.offices)]
        parts += [f"province {p}" for p in sorted(self.provinces)]
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class TokenInfo:
    token_id: str
    role: Role
    name: str
    scope: Scope
    created_ms: int
    expires_ms: int | None
    last_used_ms: int | None
    revoked_ms: int | None
    bootstrap: bool

    def state(self, now_ms: int) -> str:
        if self.revoked_ms is not None:
            return "revoked"
        if self.expires_ms is not None and self.expires_ms <= now_ms:
            return "expired"
        return "active"


def _now_ms() -> int:
    return int(time.time() * 1000)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_id_of(token: str) -> str:
    return hash_token(token)[:ID_LENGTH]


def _info(row: dict[str, Any]) -> TokenInfo:
    return TokenInfo(
        token_id=row["token_id"],
        role=Role(row["role"]),
        name=row["name"],
        scope=Scope.from_json(row["scope"]),
        created_ms=int(row["created_ms"]),
        expires_ms=None if row["expires_ms"] is None else int(row["expires_ms"]),
        last_used_ms=None if row["last_used_ms"] is None else int(row["last_used_ms"]),
        revoked_ms=None if row["revoked_ms"] is None else int(row["revoked_ms"]),
        bootstrap=bool(row["bootstrap"]),
    )


_COLUMNS = (
    "token_id, role, name, scope, created_ms, expires_ms, last_used_ms, revoked_ms, bootstrap"
)


async def store_token(
    driver: Driver,
    token: str,
    role: Role,
    name: str,
    *,
    expires_ms: int | None = None,
    scope: Scope | None = None,
    bootstrap: bool = False,
) -> str:
    """Store ``token``'s hash; return its id."""
    scope = scope or Scope()
    if not scope.unlimited and role is not Role.TECHNICIAN:
        raise ConfigError("scope: only technician tokens can be limited to offices or provinces")
    async with driver.transaction() as tx:
        await tx.execute(
            "INSERT INTO api_tokens (token_hash, token_id, role, name, scope, created_ms, "
            "expires_ms, revoked, bootstrap) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)",
            hash_token(token),
            token_id_of(token),
            role.value,
            name,
            scope.to_json(),
            _now_ms(),
            expires_ms,
            1 if bootstrap else 0,
        )
    return token_id_of(token)


async def create_token(
    driver: Driver,
    role: Role,
    name: str,
    *,
    expires_ms: int | None = None,
    scope: Scope | None = None,
) -> str:
    """A new token for ``role``; the caller shows it once, the database keeps only its hash."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    await store_token(driver, token, role, name, expires_ms=expires_ms, scope=scope)
    return token


async def lookup(driver: Driver, token: str) -> TokenInfo | None:
    """The stored token (whatever its state), or None when it was never issued."""
    row = await driver.fetchrow(
        f"SELECT {_COLUMNS} FROM api_tokens WHERE token_hash = ?",  # noqa: S608
        hash_token(token),
    )
    return _info(row) if row else None


async def role_of(driver: Driver, token: str) -> Role | None:
    """The role a presented token grants, or None (unknown, revoked or expired)."""
    info = await lookup(driver, token)
    if info is None or info.state(_now_ms()) != "active":
        return None
    return info.role


async def touch(driver: Driver, info: TokenInfo, every_s: float) -> None:
    """Record a use, at most once per ``every_s`` per token (a write per request would make
    every read a write transaction)."""
    now = _now_ms()
    if info.last_used_ms is not None and now - info.last_used_ms < every_s * 1000:
        return
    async with driver.transaction() as tx:
        await tx.execute(
            "UPDATE api_tokens SET last_used_ms = ? WHERE token_id = ? "
            "AND (last_used_ms IS NULL OR last_used_ms < ?)",
            now,
            info.token_id,
            now - int(every_s * 1000),
        )


async def list_tokens(driver: Driver, *, include_inactive: bool = False) -> list[TokenInfo]:
    rows = await driver.fetch(
        f"SELECT {_COLUMNS} FROM api_tokens ORDER BY created_ms, token_id"  # noqa: S608
    )
    now = _now_ms()
    infos = [_info(r) for r in rows]
    return [i for i in infos if include_inactive or i.state(now) == "active"]


async def revoke_token(driver: Driver, token_id: str) -> TokenInfo:
    """Revoke by id (or a unique id prefix of at least 6 digits); return the token as it was."""
    if len(token_id) < 6:
        raise NotFoundError(f"token id {token_id!r}: give at least 6 characters of the id")
    rows = await driver.fetch(
        f"SELECT {_COLUMNS} FROM api_tokens WHERE token_id LIKE ?",  # noqa: S608
        token_id.lower() + "%",
    )
    if not rows:
        raise NotFoundError(f"token id {token_id!r}: no such token")
    if len(rows) > 1:
        raise NotFoundError(f"token id {token_id!r}: matches {len(rows)} tokens, give more digits")
    info = _info(rows[0])
    async with driver.transaction() as tx:
        await tx.execute(
            "UPDATE api_tokens SET revoked = 1, revoked_ms = ? "
            "WHERE token_id = ? AND revoked_ms IS NULL",
            _now_ms(),
            info.token_id,
        )
    return info


async def sync_bootstrap(driver: Driver, token: str | None) -> None:
    """Make the bootstrap ops token exactly what ``CF_BOOTSTRAP_OPS_TOKEN`` says: stored when set,
    and every earlier bootstrap token revoked when it is unset or changed."""
    keep = token_id_of(token) if token else None
    async with driver.transaction() as tx:
        dropped = await tx.execute(
            "UPDATE api_tokens SET revoked = 1, revoked_ms = ? "
            "WHERE bootstrap = 1 AND revoked_ms IS NULL AND token_id <> ?",
            _now_ms(),
            keep or "",
        )
    if dropped:
        _LOGGER.warning("revoked %s earlier bootstrap ops token(s): the variable changed", dropped)
    if token:
        info = await lookup(driver, token)
        if info is None:
            await store_token(driver, token, Role.OPS, BOOTSTRAP_NAME, bootstrap=True)
        elif info.revoked_ms is not None:
            _LOGGER.warning("CF_BOOTSTRAP_OPS_TOKEN was revoked; it stays revoked: set a new one")
