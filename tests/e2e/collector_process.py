"""The real collector (``python -m collector``) as a subprocess on SQLite, for end-to-end tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.fixtures.ports import free_port

LOOPBACK = "127.0.0.1"
OPS_TOKEN = "cf_e2e-ops-token-0123456789abcdefghijklmnop"


class CollectorProcess:
    """Starts at construction and waits for ``/readyz``; ``stop()`` sends SIGTERM and waits."""

    def __init__(self, workdir: Path, mqtt_url: str, **env: str) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.db_path = workdir / "collector.db"
        self.log_path = workdir / "collector.log"
        environ = {k: v for k, v in os.environ.items() if not k.startswith("CF_")}
        environ.update(
            CF_MQTT_URL=mqtt_url,
            CF_DB_URL=str(self.db_path),
            CF_HTTP_HOST=LOOPBACK,
            CF_HTTP_PORT=str(self.port),
            CF_BOOTSTRAP_OPS_TOKEN=OPS_TOKEN,
            CF_LOG_LEVEL="DEBUG",
            CF_BATCH_WINDOW_MS="20",
            **env,
        )
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "collector"],
                env=environ,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.http = httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {OPS_TOKEN}"}, timeout=10
        )
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise

    def wait_ready(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"collector exited {self.process.returncode}: {self.log()}")
            with contextlib.suppress(httpx.HTTPError):
                if self.http.get("/readyz").status_code == 200:
                    return
            time.sleep(0.1)
        raise AssertionError(f"collector not ready within {timeout_s} s: {self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-3000:]

    def get(self, path: str, **params: Any) -> Any:
        response = self.http.get(path, params=params)
        assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
        return response.json()

    def put(self, path: str, body: dict[str, Any]) -> Any:
        response = self.http.put(path, json=body)
        assert response.status_code in (200, 201), f"PUT {path}: {response.text}"
        return response.json()

    def wait_until(self, what: str, check: Any, timeout_s: float = 20.0) -> Any:
        """Polls ``check()`` until it returns something truthy."""
        deadline = time.monotonic() + timeout_s
        value = None
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"{what}: not within {timeout_s} s (last: {value!r})")

    def stop(self) -> None:
        self.http.close()
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
