"""systemd notify over a real AF_UNIX datagram socket, as systemd would listen."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from agent.notify import Notifier


def test_ready_watchdog_stopping(tmp_path: Path) -> None:
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(path))
        server.settimeout(2)
        notifier = Notifier(
            {
                "NOTIFY_SOCKET": str(path),
                "WATCHDOG_USEC": "20000000",
                "WATCHDOG_PID": str(os.getpid()),
            }
        )
        assert notifier.enabled
        assert notifier.watchdog_interval() == 10.0
        assert notifier.ready()
        assert notifier.watchdog()
        assert notifier.stopping()
        assert [server.recv(64) for _ in range(3)] == [b"READY=1", b"WATCHDOG=1", b"STOPPING=1"]


def test_abstract_socket() -> None:
    name = f"cf-agent-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind("\0" + name)
        server.settimeout(2)
        assert Notifier({"NOTIFY_SOCKET": "@" + name}).ready()
        assert server.recv(64) == b"READY=1"


def test_outside_systemd_is_a_no_op() -> None:
    notifier = Notifier({})
    assert not notifier.enabled
    assert notifier.watchdog_interval() is None
    assert not notifier.ready()


def test_watchdog_for_another_pid_is_ignored() -> None:
    notifier = Notifier(
        {"NOTIFY_SOCKET": "/nonexistent", "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"}
    )
    assert notifier.watchdog_interval() is None
