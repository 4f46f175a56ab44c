"""PostgreSQL through asyncpg: a connection pool; the store of collectors sharing the stream."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

import asyncpg

from collector.errors import StorageError, TransientStorageError
from collector.storage.driver import Driver, Row, Tx

_LOGGER = logging.getLogger(__name__)
_PLACEHOLDER = re.compile(r"\?")
_TRANSIENT = (
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.InterfaceError,
    ConnectionError,
    OSError,
)


@lru_cache(maxsize=512)
def to_dollar(sql: str) -> str:
    """``?`` placeholders to asyncpg's ``$1, $2, ...`` (our SQL has no literal question marks)."""
    counter = iter(range(1, 10_000))
    return _PLACEHOLDER.sub(lambda _m: f"${next(counter)}", sql)


def _count(status: str) -> int:
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class PostgresTx(Tx):
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, *args: Any) -> int:
        return _count(await self._conn.execute(to_dollar(sql), *args))

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            await self._conn.executemany(to_dollar(sql), rows)

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        return [dict(r) for r in await self._conn.fetch(to_dollar(sql), *args)]

    async def insert_ignore(
        self, table: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]
    ) -> int:
        if not rows:
            return 0
        names = ", ".join(name for name, _ in columns)
        arrays = ", ".join(f"${i}::{pgtype}[]" for i, (_, pgtype) in enumerate(columns, 1))
        sql = (
            f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) "  # noqa: S608
            "ON CONFLICT DO NOTHING"
        )
        args = [list(col) for col in zip(*rows, strict=True)]
        return _count(await self._conn.execute(sql, *args))


class PostgresDriver(Driver):
    dialect = "postgres"
    for_update = " FOR UPDATE"
    greatest = "greatest"

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @classmethod
    async def open(cls, url: str, *, min_size: int = 1, max_size: int = 5) -> PostgresDriver:
        try:
            pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size)
        except (OSError, asyncpg.PostgresError) as exc:
            raise StorageError(f"CF_DB_URL: cannot connect to PostgreSQL: {exc}") from exc
        return cls(pool)

    async def close(self) -> None:
        await self._pool.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresTx]:
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                yield PostgresTx(conn)
        except _TRANSIENT as exc:
            raise TransientStorageError(f"PostgreSQL: {exc}") from exc

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        try:
            async with self._pool.acquire() as conn:
                return [dict(r) for r in await conn.fetch(to_dollar(sql), *args)]
        except _TRANSIENT as exc:
            raise TransientStorageError(f"PostgreSQL: {exc}") from exc
