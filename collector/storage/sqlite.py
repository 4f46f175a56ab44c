"""SQLite through aiosqlite: WAL, one writer connection (transactions serialised), one reader."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from collector.errors import StorageError, TransientStorageError
from collector.storage.driver import Driver, Row, Tx

_LOGGER = logging.getLogger(__name__)


def _rows(cursor_rows: Sequence[sqlite3.Row]) -> list[Row]:
    """Rows as dicts; the column names read once per result, not once per row (a 2,000-office
    report spent more time here than in SQLite)."""
    if not cursor_rows:
        return []
    names = cursor_rows[0].keys()
    return [dict(zip(names, row, strict=True)) for row in cursor_rows]


class SqliteTx(Tx):
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, *args: Any) -> int:
        cursor = await self._conn.execute(sql, args)
        count = cursor.rowcount
        await cursor.close()
        return count

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            await self._conn.executemany(sql, rows)

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        async with self._conn.execute(sql, args) as cursor:
            return _rows(list(await cursor.fetchall()))

    async def insert_ignore(
        self, table: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]
    ) -> int:
        if not rows:
            return 0
        names = ", ".join(name for name, _ in columns)
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING"  # noqa: S608
        # rowcount sums each row's own changes; total_changes would add what triggers write
        cursor = await self._conn.executemany(sql, rows)
        inserted = cursor.rowcount
        await cursor.close()
        return inserted


class SqliteDriver(Driver):
    """The default store of a single collector (a province)."""

    dialect = "sqlite"
    for_update = ""
    greatest = "max"

    def __init__(self, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self._writer = writer
        self._reader = reader
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path, *, synchronous: str = "FULL") -> SqliteDriver:
        """Open (WAL) with ``synchronous`` FULL by default: an acknowledged commit is on disk."""
        if synchronous not in ("FULL", "NORMAL"):
            raise StorageError(f"CF_SQLITE_SYNCHRONOUS: FULL or NORMAL, not {synchronous!r}")
        if path.parent and not path.parent.exists():
            raise StorageError(f"CF_DB_URL: directory {path.parent} does not exist")
        try:
            writer = await aiosqlite.connect(str(path), isolation_level=None)
            await writer.execute("PRAGMA journal_mode=WAL")
            await writer.execute(f"PRAGMA synchronous={synchronous}")
            await writer.execute("PRAGMA busy_timeout=10000")
            await writer.execute("PRAGMA foreign_keys=ON")
            reader = await aiosqlite.connect(str(path), isolation_level=None)
            await reader.execute("PRAGMA busy_timeout=10000")
        except sqlite3.Error as exc:
            raise StorageError(f"CF_DB_URL: cannot open SQLite database {path}: {exc}") from exc
        writer.row_factory = sqlite3.Row
        reader.row_factory = sqlite3.Row
        return cls(writer, reader)

    async def close(self) -> None:
        await self._reader.close()
        await self._writer.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteTx]:
        async with self._lock:
            try:
                await self._writer.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise TransientStorageError(f"SQLite busy: {exc}") from exc
            try:
                yield SqliteTx(self._writer)
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            try:
                await self._writer.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                await self._writer.execute("ROLLBACK")
                raise TransientStorageError(f"SQLite commit failed: {exc}") from exc

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        async with self._reader.execute(sql, args) as cursor:
            return _rows(list(await cursor.fetchall()))
