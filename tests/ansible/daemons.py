"""Daemons the tests start inside a provisioned target (chroot): the broker and the collector
exactly as the roles configured them, on the loopback ports the test inventory chose."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import httpx

START_TIMEOUT_S = 30.0


class DaemonError(RuntimeError):
    """A daemon did not come up (names it and shows the end of its log)."""


class ChrootDaemon:
    """One process run with ``chroot ROOT argv``; chroot and setpriv exec, so the pid is the
    daemon's own and SIGTERM reaches it."""

    def __init__(self, name: str, root: Path, argv: list[str], log: Path) -> None:
        self.name, self.root, self.argv, self.log = name, root, argv, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                ["chroot", str(self.root), *self.argv], stdout=out, stderr=subprocess.STDOUT
            )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def fail(self, what: str) -> DaemonError:
        return DaemonError(f"{self.name}: {what}; log:\n{self.log_text()[-3000:]}")

    def wait_for_port(self, port: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise self.fail(f"exited with {self.process.returncode}")
            with socket.socket() as probe:
                probe.settimeout(0.5)
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.1)
        raise self.fail(f"port {port} not open after {START_TIMEOUT_S:g} s")

    def wait_ready(self, url: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise self.fail(f"exited with {self.process.returncode}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise self.fail(f"{url} not ready after {START_TIMEOUT_S:g} s")


def as_user(user: str, shell_command: str) -> list[str]:
    """argv running ``shell_command`` as ``user`` (setpriv execs: no extra process)."""
    return ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups",
            "/bin/sh", "-c", shell_command]  # fmt: skip


def mosquitto(root: Path, log: Path) -> ChrootDaemon:
    """The provisioned broker: Debian's mosquitto with the role's /etc/mosquitto/mosquitto.conf."""
    return ChrootDaemon(
        "mosquitto", root, ["/usr/sbin/mosquitto", "-c", "/etc/mosquitto/mosquitto.conf"], log
    )


def collector_command(env_file: str, venv: str, state_dir: str, *args: str) -> str:
    """What the collector's unit runs: its environment file, its venv, its state directory."""
    tail = " ".join(args)
    return (
        f"set -a && . {env_file} && set +a && cd {state_dir} && "
        f"exec {venv}/bin/python -m collector {tail}"
    ).strip()
