"""The collector's app in its own uvicorn process on loopback, as it runs in production."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from collector.api.app import create_app
from collector.config import Settings
from tests.fixtures.ports import free_port

REPO = Path(__file__).resolve().parents[3]


def app_factory() -> Any:
    """The collector's app without MQTT ingest, on ``CF_DB_URL`` (uvicorn --factory)."""
    return create_app(Settings(), ingest=False)


def start_app(db: str) -> tuple[subprocess.Popen[bytes], int]:
    """The app on database ``db``, answering ``/healthz``; the process and its port."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "tests.bench.analytics.server:app_factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=REPO, env={**os.environ, "CF_DB_URL": db, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server, port
        except httpx.HTTPError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("bench_analytics: the app did not start") from None
            time.sleep(0.2)
