"""Free loopback ports, and waiting until a part is up (or saying why it is not)."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request

from broker_config import LOOPBACK
from process_group import Child

START_TIMEOUT_S = 30.0


class DemoError(RuntimeError):
    """A part did not start; the message says which and shows its log tail."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def wait_tcp(port: int, child: Child, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if not child.running():
            raise DemoError(f"{what} exited with {child.process.returncode}:\n{child.log_tail()}")
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise DemoError(f"{what} did not listen on {LOOPBACK}:{port}:\n{child.log_tail()}")


def wait_ready(url: str, child: Child) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if not child.running():
            raise DemoError(
                f"collector exited with {child.process.returncode}:\n{child.log_tail()}"
            )
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=1):  # noqa: S310 (loopback)
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise DemoError(f"collector not ready at {url}/readyz:\n{child.log_tail()}")


def wait_registered(url: str, simulator: Child, devices: int) -> list[str]:
    """The first three offices (sorted), once the simulator registered every counter."""
    deadline = time.monotonic() + START_TIMEOUT_S
    offices: list[str] = []
    while not offices:
        if time.monotonic() > deadline or not simulator.running():
            raise DemoError(f"the simulator did not register its counters:\n{simulator.log_tail()}")
        try:
            devices_url = f"{url}/api/v1/devices?limit=1000"
            with urllib.request.urlopen(devices_url, timeout=5) as response:  # noqa: S310
                items = json.load(response)["items"]
            registered = {d["office_id"] for d in items if d.get("office_id")}
            if sum(1 for d in items if d.get("office_id")) >= devices:
                offices = sorted(registered)[:3]
        except (urllib.error.URLError, OSError, ValueError, KeyError):
            pass
        if not offices:
            time.sleep(0.3)
    return offices
