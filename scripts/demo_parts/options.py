"""The demo's options: arguments, or ``DEMO_*`` variables as their defaults."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from demo_parts.places import ROOT

# flag, type, variable, default when the variable is unset or empty, help
FROM_ENV: tuple[tuple[str, Callable[[str], Any], str, str, str], ...] = (
    ("--devices", int, "DEMO_DEVICES", "20", "DEMO_DEVICES: simulated counters (20)"),
    ("--speed", float, "DEMO_SPEED", "60",
     "DEMO_SPEED: simulated seconds per real second until the present is reached (60)"),
    ("--http-port", int, "DEMO_HTTP_PORT", "8080",
     "DEMO_HTTP_PORT: web pages and API (8080, or a free port when taken; 0 = any)"),
    ("--mqtt-port", int, "DEMO_MQTT_PORT", "0", "DEMO_MQTT_PORT (0 = a free port)"),
    ("--state-dir", Path, "DEMO_DIR", str(ROOT / "var" / "demo"),
     "DEMO_DIR: database, logs, outboxes; emptied at start (var/demo)"),
)  # fmt: skip


def parse_args(argv: list[str] | None, description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/demo.py", description=description)
    for flag, kind, variable, default, help_text in FROM_ENV:
        value = os.environ.get(variable) or default
        parser.add_argument(flag, type=kind, default=kind(value), help=help_text)
    parser.add_argument("--duration", type=float, help="stop by itself after N seconds")
    parser.add_argument(
        "--sim-arg",
        action="append",
        default=[],
        help="extra argument for python -m simulator (repeatable), e.g. --sim-arg=--seed=7",
    )
    return parser.parse_args(argv)
