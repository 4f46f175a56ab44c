"""The fake 1111 centre (simulator/centre1111): the collector forwards complaints to it."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from pathlib import Path

from broker_config import LOOPBACK
from process_group import Child

from demo_parts.places import PYTHON, ROOT
from demo_parts.readiness import free_port, wait_tcp


@dataclass(frozen=True)
class Centre:
    child: Child
    url: str  # its own pages: what it received
    collector_env: dict[str, str]  # CF_CASES_* that point the collector at it


def start_centre(http_port: int, logs: Path, started: list[Child]) -> Centre:
    """Start it (appended to ``started`` at once, so a failed start is still stopped)."""
    port, secret = free_port(), secrets.token_hex(16)
    callback = f"http://{LOOPBACK}:{http_port}/api/v1/cases/callback"
    argv = ["--port", str(port), "--secret", secret, "--callback-url", callback]
    argv += ["--auto-accept", "5"]  # cases move on to "accepted" on the status page
    centre = Child(
        "centre1111",
        [PYTHON, "-m", "simulator.centre1111", *argv],
        log=logs / "centre1111.log",
        cwd=ROOT,
    )
    started.append(centre)
    wait_tcp(port, centre, "fake 1111 centre")
    url = f"http://{LOOPBACK}:{port}/"
    env = {
        "CF_CASES_TRANSPORT": "webhook",
        "CF_CASES_WEBHOOK_URL": f"{url}cases",
        "CF_CASES_WEBHOOK_SECRET": secret,
        "CF_CASES_CONTACT_KEYS": "demo:" + base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    return Centre(centre, url, env)
