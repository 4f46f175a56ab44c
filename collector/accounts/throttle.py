"""Slowing down password guessing: per account (in the database) and per client address.

Per account: after ``login_max_failures`` failures in a row the account is locked for
``login_lockout_s``, doubling with each further failure (at most a day); a success resets it.
The state is in the ``people`` row, so every collector process sees it.
Per client: the `limits` library's moving window (``login_client_limit`` failed logins, and
``form_client_limit`` public form posts, per address). Its storage is ``rate_limit_storage``:
``memory://`` counts per process, ``redis://`` shares the counts.
"""

from __future__ import annotations

from limits import parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from collector.accounts.sessions import now_ms
from collector.accounts.settings import AccountSettings
from collector.storage import Tx

MAX_LOCK_MS = 24 * 3600 * 1000


class ClientLimiter:
    """Counts hits per (purpose, client address) in a moving window."""

    def __init__(self, settings: AccountSettings) -> None:
        uri = settings.rate_limit_storage
        storage = storage_from_string(uri if uri.startswith("async+") else "async+" + uri)
        self._limiter = MovingWindowRateLimiter(storage)
        self._login = parse(settings.login_client_limit)
        self._form = parse(settings.form_client_limit)

    async def login_blocked(self, client: str) -> bool:
        return not await self._limiter.test(self._login, "login", client)

    async def login_failed(self, client: str) -> None:
        await self._limiter.hit(self._login, "login", client)

    async def form_allowed(self, purpose: str, client: str) -> bool:
        """Counts one public form post; False when this client has posted too many."""
        return await self._limiter.hit(self._form, purpose, client)


def lock_ms(failures: int, settings: AccountSettings) -> int:
    """How long an account stays locked after ``failures`` failures in a row (0: not locked)."""
    over = failures - settings.login_max_failures
    if over < 0:
        return 0
    return int(min(settings.login_lockout_s * 1000 * 2 ** min(over, 20), MAX_LOCK_MS))


async def record_failure(tx: Tx, person_id: str, settings: AccountSettings) -> int:
    """Count a failed login; return the lock's length in ms (0 when not locked)."""
    row = await tx.fetchrow("SELECT failed_logins FROM people WHERE person_id = ?", person_id)
    failures = int(row["failed_logins"]) + 1 if row else 1
    locked = lock_ms(failures, settings)
    await tx.execute(
        "UPDATE people SET failed_logins = ?, locked_until_ms = ? WHERE person_id = ?",
        failures,
        now_ms() + locked if locked else 0,
        person_id,
    )
    return locked


async def record_success(tx: Tx, person_id: str) -> None:
    await tx.execute(
        "UPDATE people SET failed_logins = 0, locked_until_ms = 0 WHERE person_id = ?",
        person_id,
    )
