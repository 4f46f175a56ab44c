"""The one abstract database interface: SQLite and PostgreSQL drivers implement it.

SQL is written once with ``?`` placeholders and portable types (times as epoch milliseconds,
booleans as 0/1, JSON as text); a driver adapts what differs (placeholders, bulk inserts,
row locks, the spelling of ``greatest``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

Row = dict[str, Any]


class Tx(ABC):
    """One open transaction; everything done through it commits or rolls back together."""

    @abstractmethod
    async def execute(self, sql: str, *args: Any) -> int:
        """Run one statement; return the number of rows it changed."""

    @abstractmethod
    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each row."""

    @abstractmethod
    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        """Rows of a query, as dicts."""

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        rows = await self.fetch(sql, *args)
        return rows[0] if rows else None

    @abstractmethod
    async def insert_ignore(
        self, table: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]
    ) -> int:
        """Insert rows, skipping those that hit a unique key; return how many were inserted.

        ``columns`` are ``(name, postgres_type)`` pairs (the type drives PostgreSQL's bulk path).
        """


class Driver(ABC):
    """A connected database: short reads, and transactions for every write."""

    dialect: str
    for_update: str = ""
    greatest: str = "max"

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def transaction(self) -> Any:
        """``async with driver.transaction() as tx``: a :class:`Tx` that commits on success."""

    @abstractmethod
    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        """Rows of a read-only query outside any write transaction."""

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        rows = await self.fetch(sql, *args)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, *args: Any) -> Any:
        row = await self.fetchrow(sql, *args)
        return next(iter(row.values())) if row else None

    async def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            return bool(await self.fetchval("SELECT 1") == 1)
        except Exception:
            return False
