"""QR signing keys: ids in the database, key material derived from the master secret.

Table ``qr_keys`` lists key ids (``k1``, ``k2``...): the newest without ``accept_until_ms`` signs
new codes; a rotated-out key is accepted until its ``accept_until_ms`` (now + the grace period),
so offices can reprint one by one. The key of an id is HMAC-SHA256(master secret, "cf-qr-key|"
+ id): it is never stored, and every collector process derives the same one. The master secret
comes from ``CF_FEEDBACK_SECRET_FILE`` / ``CF_FEEDBACK_SECRET``; without either, one random
secret is made once and kept in ``feedback_secret`` (a warning says so).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass

from collector.errors import ConfigError
from collector.feedback.settings import FeedbackSettings
from collector.feedback.tokens import (
    DAY_MS,
    CounterToken,
    TokenError,
    TokenProblem,
    key_id_of,
    sign,
    verify,
)
from collector.storage import Driver

_LOGGER = logging.getLogger(__name__)


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True, slots=True)
class KeyInfo:
    key_id: str
    created_ms: int
    accept_until_ms: int | None

    def to_json(self) -> dict[str, object]:
        return {
            "key_id": self.key_id,
            "created_ms": self.created_ms,
            "accept_until_ms": self.accept_until_ms,
            "signing": self.accept_until_ms is None,
        }


async def master_secret(driver: Driver, settings: FeedbackSettings) -> bytes:
    if settings.feedback_secret_file is not None:
        path = settings.feedback_secret_file
        try:
            if path.stat().st_mode & 0o077:
                raise ConfigError(
                    f"CF_FEEDBACK_SECRET_FILE: {path} must be readable by the collector only "
                    "(chmod 600)"
                )
            data = path.read_bytes().strip()
        except OSError as exc:
            raise ConfigError(f"CF_FEEDBACK_SECRET_FILE: cannot read ({exc.strerror})") from None
        if len(data) < 32:
            raise ConfigError("CF_FEEDBACK_SECRET_FILE: needs at least 32 bytes")
        return data
    if settings.feedback_secret:
        return settings.feedback_secret.encode("utf-8")
    row = await driver.fetchrow("SELECT secret FROM feedback_secret WHERE id = 1")
    if row is None:
        async with driver.transaction() as tx:
            inserted = await tx.insert_ignore(
                "feedback_secret",
                [("id", "integer"), ("secret", "text"), ("created_ms", "bigint")],
                [(1, secrets.token_hex(32), now_ms())],
            )
        if inserted:
            _LOGGER.warning("no CF_FEEDBACK_SECRET: made a random QR master secret in the DB")
        row = await driver.fetchrow("SELECT secret FROM feedback_secret WHERE id = 1")
    assert row is not None
    return str(row["secret"]).encode("ascii")


def derive(master: bytes, key_id: str) -> bytes:
    return hmac.new(master, b"cf-qr-key|" + key_id.encode("ascii"), hashlib.sha256).digest()


async def list_keys(driver: Driver) -> list[KeyInfo]:
    rows = await driver.fetch(
        "SELECT key_id, created_ms, accept_until_ms FROM qr_keys ORDER BY created_ms DESC, key_id"
    )
    return [KeyInfo(r["key_id"], int(r["created_ms"]), r["accept_until_ms"]) for r in rows]


async def signing_key_id(driver: Driver) -> str:
    """The key id that signs new codes (``k1`` is made on first use)."""
    row = await driver.fetchrow(
        "SELECT key_id FROM qr_keys WHERE accept_until_ms IS NULL ORDER BY created_ms DESC LIMIT 1"
    )
    if row is not None:
        return str(row["key_id"])
    async with driver.transaction() as tx:
        await tx.insert_ignore(
            "qr_keys",
            [("key_id", "text"), ("created_ms", "bigint"), ("accept_until_ms", "bigint")],
            [("k1", now_ms(), None)],
        )
    return await signing_key_id(driver)


async def rotate(driver: Driver, grace_days: int, at_ms: int | None = None) -> KeyInfo:
    """A new signing key; the old ones stay accepted for ``grace_days`` (never longer than
    they already were)."""
    at = now_ms() if at_ms is None else at_ms
    await signing_key_id(driver)
    async with driver.transaction() as tx:
        rows = await tx.fetch("SELECT key_id FROM qr_keys" + driver.for_update)  # noqa: S608 (a constant)
        numbers = [int(r["key_id"][1:]) for r in rows]
        new_id = f"k{max(numbers, default=0) + 1}"
        await tx.execute(
            "UPDATE qr_keys SET accept_until_ms = ? WHERE accept_until_ms IS NULL",
            at + grace_days * DAY_MS,
        )
        await tx.execute(
            "INSERT INTO qr_keys (key_id, created_ms, accept_until_ms) VALUES (?, ?, NULL)",
            new_id,
            at,
        )
    _LOGGER.info("QR signing key rotated to %s (grace %s days)", new_id, grace_days)
    return KeyInfo(new_id, at, None)


class Signer:
    """Signs and checks counter tokens with the keys of one database and master secret."""

    def __init__(self, driver: Driver, settings: FeedbackSettings) -> None:
        self.driver = driver
        self.settings = settings
        self._master: bytes | None = None

    async def master(self) -> bytes:
        if self._master is None:
            self._master = await master_secret(self.driver, self.settings)
        return self._master

    async def _key(self, key_id: str) -> bytes:
        return derive(await self.master(), key_id)

    async def issue(self, office_id: str, counter_label: str, at_ms: int | None = None) -> str:
        at = now_ms() if at_ms is None else at_ms
        kid = await signing_key_id(self.driver)
        day = at // DAY_MS + self.settings.qr_token_ttl_days
        return sign(await self._key(kid), CounterToken(kid, office_id, counter_label, day))

    async def check(self, text: str, at_ms: int | None = None) -> CounterToken:
        at = now_ms() if at_ms is None else at_ms
        kid = key_id_of(text)
        row = await self.driver.fetchrow(
            "SELECT accept_until_ms FROM qr_keys WHERE key_id = ?", kid
        )
        if row is None:
            raise TokenError(TokenProblem.UNKNOWN_KEY)
        token = verify(await self._key(kid), text, at)
        if row["accept_until_ms"] is not None and at >= int(row["accept_until_ms"]):
            raise TokenError(TokenProblem.KEY_RETIRED)
        return token
