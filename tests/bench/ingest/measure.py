"""Measurements of the ingest benchmark: CPU of a process tree, stored rows, log lines."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

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


def stored(db_url: str) -> int:
    """Rows in ``events`` (SQLite path or PostgreSQL URL)."""
    if db_url.startswith("postgresql://"):
        return asyncio.run(_pg_count(db_url))
    with sqlite3.connect(db_url, timeout=10) as conn:
        return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])


async def _pg_count(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM events"))
    finally:
        await conn.close()
