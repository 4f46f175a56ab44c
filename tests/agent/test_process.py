"""``python -m agent run`` as systemd runs it: READY/WATCHDOG/STOPPING on $NOTIFY_SOCKET,
retained ``online``, ``offline`` on SIGTERM and the Last Will after SIGKILL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from protocols import Channel, State, decode, topic
from tests.agent.agent_rig import DEVICE, ROOT, config_data, wait_until, write_toml
from tests.agent.collector_double import CollectorDouble
from tests.fixtures.broker import MosquittoBroker


def states(collector: CollectorDouble) -> list[str]:
    decoded = [decode(topic(DEVICE, Channel.STATE), m) for m in collector.messages("state")]
    return [s.state for s in decoded if isinstance(s, State)]


@pytest.mark.slow
def test_systemd_notify_and_last_will(tmp_path: Path, mosquitto: MosquittoBroker) -> None:
    config = write_toml(tmp_path / "agent.toml", config_data(tmp_path, mosquitto.url))
    collector = CollectorDouble(mosquitto.host, mosquitto.port, DEVICE).start()
    notify_path = tmp_path / "notify.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(notify_path))
    server.settimeout(10)
    env = {**os.environ, "NOTIFY_SOCKET": str(notify_path), "WATCHDOG_USEC": "1000000"}
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "agent", "run", "--config", str(config)], cwd=ROOT, env=env
        )
        try:
            assert server.recv(64) == b"READY=1"
            assert server.recv(64) == b"WATCHDOG=1"  # every 0.5 s (half of WatchdogSec)
            wait_until(lambda: states(collector) == ["online"], 10, "no retained online")
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(15) == 0
        received = []
        while (message := server.recv(64)) != b"STOPPING=1":
            received.append(message)
        assert set(received) <= {b"WATCHDOG=1"}
        wait_until(lambda: states(collector)[-1:] == ["offline"], 10, "no offline on stop")
        # Killed outright: the broker publishes the Last Will (keepalive 5 s x 1.5).
        proc = subprocess.Popen(
            [sys.executable, "-m", "agent", "run", "--config", str(config)], cwd=ROOT
        )
        wait_until(lambda: states(collector)[-1:] == ["online"], 10, "no online again")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        t0 = time.monotonic()
        wait_until(lambda: states(collector)[-1:] == ["offline"], 15, "no Last Will")
        assert time.monotonic() - t0 < 12
    finally:
        server.close()
        collector.stop()
