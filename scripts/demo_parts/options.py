"""The demo's options: arguments, or ``DEMO_*`` variables as their defaults."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from demo_parts.places import ROOT


def _from_env(
    parser: argparse.ArgumentParser,
    flag: str,
    kind: Callable[[str], Any],
    variable: str,
    default: str,
    *,
    help_text: str,
) -> None:
    """``flag`` of type ``kind``, defaulting to ``variable`` (unset or empty: ``default``)."""
    value = os.environ.get(variable) or default
    parser.add_argument(flag, type=kind, default=kind(value), help=help_text)


def parse_args(argv: list[str] | None, description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/demo.py", description=description)
    _from_env(
        parser, "--devices", int, "DEMO_DEVICES", "20",
        help_text="DEMO_DEVICES: simulated counters (20)",
    )  # fmt: skip
    _from_env(
        parser, "--speed", float, "DEMO_SPEED", "60",
        help_text="DEMO_SPEED: simulated seconds per real second until the present is reached (60)",
    )  # fmt: skip
    _from_env(
        parser, "--http-port", int, "DEMO_HTTP_PORT", "8080",
        help_text="DEMO_HTTP_PORT: web pages and API (8080, or a free port when taken; 0 = any)",
    )  # fmt: skip
    _from_env(
        parser, "--mqtt-port", int, "DEMO_MQTT_PORT", "0",
        help_text="DEMO_MQTT_PORT (0 = a free port)",
    )  # fmt: skip
    _from_env(
        parser, "--state-dir", Path, "DEMO_DIR", str(ROOT / "var" / "demo"),
        help_text="DEMO_DIR: database, logs, outboxes; emptied at start (var/demo)",
    )  # fmt: skip
    parser.add_argument("--duration", type=float, help="stop by itself after N seconds")
    parser.add_argument(
        "--sim-arg",
        action="append",
        default=[],
        help="extra argument for python -m simulator (repeatable), e.g. --sim-arg=--seed=7",
    )
    return parser.parse_args(argv)
