"""Measurements of the ingest benchmark: CPU of a process tree, stored rows, log lines."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import psutil

REPO = Path(__file__).resolve().parents[3]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def run_role(*args: str) -> subprocess.CompletedProcess[str]:
    """Run a role of ``roles.py`` in its own interpreter (launch included in its wall time)."""
    return subprocess.run(
        [sys.executable, "-m", "tests.bench.ingest.roles", *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        timeout=900,
    )


def cpu_seconds(pid: int, *, children: bool = True) -> float:
    """User + system CPU of a process and (by default) its children (workers, decoders)."""
    proc = psutil.Process(pid)
    total = 0.0
    for p in [proc, *(proc.children(recursive=True) if children else [])]:
        with contextlib.suppress(psutil.Error):
            t = p.cpu_times()
            total += t.user + t.system
    return total


class RowCounter:
    """Rows in ``events`` (SQLite path or PostgreSQL URL) over one open connection: a poll must
    not cost the machine a new PostgreSQL backend while the collector drains."""

    def __init__(self, db_url: str) -> None:
        self._pg = db_url.startswith("postgresql://")
        self._url = db_url
        self._loop: asyncio.AbstractEventLoop | None = None
        self._conn: Any = None

    def count(self) -> int:
        if not self._pg:
            if self._conn is None:
                self._conn = sqlite3.connect(self._url, timeout=10)
            return int(self._conn.execute("SELECT count(*) FROM events").fetchone()[0])
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            self._conn = self._loop.run_until_complete(asyncpg.connect(self._url))
        query = self._conn.fetchval("SELECT count(*) FROM events")
        return int(self._loop.run_until_complete(query))

    def close(self) -> None:
        if self._conn is not None:
            if self._loop is not None:
                self._loop.run_until_complete(self._conn.close())
                self._loop.close()
            else:
                self._conn.close()
        self._conn = self._loop = None
