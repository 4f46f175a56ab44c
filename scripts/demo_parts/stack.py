"""The state directory, then the broker, the collector and the simulator, each a child process.

Mosquitto from firmware-config's template (plain MQTT on 127.0.0.1), the collector on SQLite in
the state directory, and ``python -m simulator`` (the real agent code, many counters).
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from broker_config import LOOPBACK, write_config
from process_group import Child

from demo_parts.places import PYTHON, ROOT
from demo_parts.readiness import DemoError, wait_ready, wait_tcp

MARKER = ".citizen-feedback-demo"


def fresh_state(state: Path) -> Path:
    """Empty ``state`` (only a demo's own, marked one) and make its log folder; return that."""
    if state.exists() and any(state.iterdir()):
        if not (state / MARKER).exists():
            raise DemoError(
                f"{state} is not empty and not a demo state directory (no {MARKER}): "
                "choose another --state-dir / DEMO_DIR"
            )
        shutil.rmtree(state)
    logs = state / "logs"
    logs.mkdir(parents=True)
    (state / MARKER).touch()
    return logs


def _without_cf() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("CF_")}


def start_broker(port: int, state: Path, logs: Path, started: list[Child]) -> str:
    """Mosquitto on ``port``; its MQTT URL once it listens."""
    conf = write_config(port, state / "mosquitto")
    broker = Child("mosquitto", ["mosquitto", "-c", str(conf)], log=logs / "mosquitto.out")
    started.append(broker)
    wait_tcp(port, broker, "mosquitto")
    return f"mqtt://{LOOPBACK}:{port}"


def collector_env(state: Path, mqtt_url: str, http_port: int) -> dict[str, str]:
    env = _without_cf()
    env.update(
        CF_MQTT_URL=mqtt_url,
        CF_DB_URL=str(state / "collector.db"),
        CF_HTTP_HOST=LOOPBACK,
        CF_HTTP_PORT=str(http_port),
        CF_MQTT_CLIENT_ID=f"cf-collector-demo-{secrets.token_hex(3)}",
        # Demo-sized timings: a silent device is offline after 30 s, alerted after 20 s more.
        CF_HEARTBEAT_TIMEOUT_S="30",
        CF_ALERT_OFFLINE_S="20",
        CF_LOG_LEVEL="WARNING",
        CF_PUBLIC_URL=f"http://{LOOPBACK}:{http_port}",  # QR links and emailed links
    )
    return env


def start_collector(env: dict[str, str], logs: Path, started: list[Child]) -> str:
    """``python -m collector``; its URL once ``/readyz`` answers."""
    collector = Child(
        "collector", [PYTHON, "-m", "collector"], env=env, log=logs / "collector.log", cwd=ROOT
    )
    started.append(collector)
    url = f"http://{LOOPBACK}:{env['CF_HTTP_PORT']}"
    wait_ready(url, collector)
    return url


def start_simulator(
    *,
    mqtt_url: str,
    url: str,
    token_file: Path,
    devices: int,
    speed: float,
    workdir: Path,
    extra: list[str],
) -> Child:
    return Child(
        "simulator",
        [
            PYTHON,
            "-m",
            "simulator",
            "--mqtt-url",
            mqtt_url,
            "--collector-url",
            url,
            "--token-file",
            str(token_file),
            "--devices",
            str(devices),
            "--speed",
            str(speed),
            "--workdir",
            str(workdir),
            *extra,
        ],
        env=_without_cf(),
        cwd=ROOT,
    )
