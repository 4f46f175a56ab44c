"""Builds agents for broker tests: in-process (threads) or as a real ``python -m agent run``."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from gpiozero.pins.mock import MockFactory

from agent.clock import Clock, SystemClock
from agent.config import AgentConfig
from agent.runtime import Agent
from tests.agent.doubles import FakeCardSource

ROOT = Path(__file__).resolve().parents[2]
DEVICE = "it-counter-01"


def config_data(tmp_path: Path, url: str, **sections: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "device": {"id": DEVICE},
        "mqtt": {"url": url, "backoff_min_s": 0.1, "backoff_max_s": 1.0, "keepalive_s": 5},
        "outbox": {
            "path": str(tmp_path / "state" / "outbox.sqlite3"),
            "republish_after_s": 3.0,
            "min_disk_free_mb": 0,
        },
        "panel": {"pin_factory": "mock", "buttons": [5, 6, 13, 19, 26]},
        "session": {"min_press_interval_s": 0},
        "card": {"backend": "none"},
        "heartbeat": {"interval_s": 60},
        "location": {"gpsd": False},
    }
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return data


def write_toml(path: Path, data: dict[str, Any]) -> Path:
    lines = []
    for section, values in data.items():
        lines.append(f"[{section}]")
        for key, value in values.items():
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, str):
                text = f'"{value}"'
            else:
                text = repr(value)
            lines.append(f"{key} = {text}")
    path.write_text("\n".join(lines) + "\n")
    return path


class InProcessAgent:
    """An Agent with a CardSource double and mock pins, ticking in a thread."""

    def __init__(
        self, config: AgentConfig, *, reader: bool = True, clock: Clock | None = None, **kwargs: Any
    ) -> None:
        self.card = FakeCardSource() if reader else None
        self.pins = MockFactory()
        self.agent = Agent(
            config,
            card_source=self.card,
            pin_factory=self.pins,
            clock=clock or SystemClock(),
            **kwargs,
        )
        self._thread = threading.Thread(target=self.agent.run, daemon=True)

    def __enter__(self) -> InProcessAgent:
        self.agent.start()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.agent.request_stop()
        self._thread.join(5)
        self.agent.stop()

    def wait_connected(self, timeout: float = 10) -> None:
        wait_until(lambda: self.agent.publisher.connected, timeout, "agent did not connect")

    def press(self, score: int) -> None:
        pin = self.pins.pin(self.agent.config.panel.buttons[score - 1])
        pin.drive_low()
        pin.drive_high()

    def serve_one_citizen(self, score: int) -> None:
        assert self.card is not None
        self.card.insert()
        self.card.remove()
        self.press(score)
        time.sleep(0.01)


def wait_until(predicate: Any, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.05)


def start_agent_process(config_path: Path, log_path: Path) -> subprocess.Popen[bytes]:
    log = log_path.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "agent", "run", "--config", str(config_path)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
