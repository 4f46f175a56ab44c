"""Defect 4 (issue 13): a failing action never ends the MQTT thread; a dead worker stops the
systemd watchdog. Faults are real: a listener that raises, a full tmpfs, a gpsd that sends a
report the reader cannot handle, a thread that blocks."""

from __future__ import annotations

import logging
import socket
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from agent.config import AgentConfig, MqttSettings
from agent.liveness import Workers
from agent.location import GpsdSource
from agent.notify import Notifier
from agent.publisher import Publisher
from protocols import Channel, Ping, PingBody, SetLocation, SetLocationBody, encode
from tests.agent.agent_rig import DEVICE, InProcessAgent, config_data, wait_until
from tests.agent.collector_double import CollectorDouble
from tests.agent.test_commands_telemetry import envelope, results, send
from tests.fixtures.broker import MosquittoBroker
from tests.fixtures.small_fs import SmallFs, fill


class FlakyListener:
    """Raises on the first command it is given, records the others."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.calls = 0

    def connected(self) -> None: ...

    def disconnected(self) -> None: ...

    def message(self, _channel: Channel, payload: bytes) -> None:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("injected failure of one queued action")
        self.received.append(payload)

    def puback(self, mid: int, ok: bool) -> None: ...

    def flush(self) -> None: ...


def test_a_failing_action_does_not_end_the_connection_thread(mosquitto: MosquittoBroker) -> None:
    listener = FlakyListener()
    publisher = Publisher(MqttSettings(url=mosquitto.url), DEVICE, "t", listener)
    publisher.start()
    try:
        assert publisher.subscribed.wait(10), "no SUBACK"
        send(mosquitto, b"first")
        send(mosquitto, b"second")
        wait_until(lambda: listener.received == [b"second"], 10, "second command not delivered")
        assert publisher.action_failures == 1
        assert publisher.thread is not None
        assert publisher.thread.is_alive()
        assert publisher.connected
    finally:
        publisher.stop()


@pytest.mark.slow
def test_full_disk_during_set_location_is_answered_and_the_thread_lives(
    tmp_path: Path, mosquitto: MosquittoBroker, small_fs: SmallFs
) -> None:
    fs = small_fs(4 * 1024 * 1024)
    data = config_data(tmp_path, mosquitto.url)
    data["outbox"]["path"] = str(fs / "outbox.sqlite3")
    collector = CollectorDouble(mosquitto.host, mosquitto.port, DEVICE).start()
    soon = envelope()["ts"] + timedelta(minutes=5)  # type: ignore[operator]
    where = SetLocation(**envelope(body=SetLocationBody(expires=soon, lat=13.7, lon=100.5)))  # type: ignore[arg-type]
    ping = Ping(**envelope(body=PingBody(expires=soon)))  # type: ignore[arg-type]
    try:
        with InProcessAgent(AgentConfig(**data)) as rig:
            rig.wait_connected()
            assert rig.agent.publisher.subscribed.wait(10), "no SUBACK"
            fill(fs)
            if rig.agent.outbox.reserve.release():  # no runway left either
                fill(fs, "filler-2")
            send(mosquitto, encode(where))
            send(mosquitto, encode(ping))
            wait_until(lambda: ping.id in results(collector), 10, "no result after set_location")
            got = results(collector)
            assert not got[where.id].body.ok
            assert "No space left" in got[where.id].body.detail
            assert got[ping.id].body.ok
            assert rig.agent.publisher.thread is not None
            assert rig.agent.publisher.thread.is_alive()
            assert rig.agent.workers.problems() == []
    finally:
        collector.stop()


class BrokenGpsd:
    """A gpsd on a free port that, when told, sends a TPV report with ``mode: null``."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.go = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        conn, _ = self.server.accept()
        with conn:
            conn.sendall(b'{"class":"VERSION","release":"3.25"}\n')
            self.go.wait(30)
            conn.sendall(b'{"class":"TPV","mode":null}\n')
            self.go.clear()
            self.go.wait(5)

    def close(self) -> None:
        self.go.set()
        self.server.close()


def watchdog_pings(sock: socket.socket, within: float) -> int:
    """How many WATCHDOG=1 arrive in the next ``within`` seconds."""
    deadline = time.monotonic() + within
    count = 0
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            count += sock.recv(256) == b"WATCHDOG=1"
        except TimeoutError:
            break
    return count


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_the_watchdog_stops_when_a_worker_thread_dies(
    tmp_path: Path, mosquitto: MosquittoBroker, caplog: pytest.LogCaptureFixture
) -> None:
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify"))
    notifier = Notifier({"NOTIFY_SOCKET": str(tmp_path / "notify"), "WATCHDOG_USEC": "100000"})
    gpsd = BrokenGpsd()
    source = GpsdSource("127.0.0.1", gpsd.port)
    config = AgentConfig(**config_data(tmp_path, mosquitto.url))
    try:
        with InProcessAgent(config, location_source=source, notifier=notifier) as rig:
            try:
                rig.wait_connected()
                assert watchdog_pings(notify, 1.0) >= 2  # fed while every worker lives
                gpsd.go.set()
                wait_until(lambda: not source.thread.is_alive(), 10, "gpsd did not die")  # type: ignore[union-attr]
                watchdog_pings(notify, 0.3)  # a ping may have left before the death was seen
                with caplog.at_level(logging.ERROR, logger="agent.runtime"):
                    assert watchdog_pings(notify, 1.5) == 0
                assert "watchdog not fed: workers=gps: dead" in caplog.text
            finally:
                notify.close()  # a full datagram queue would block the agent's STOPPING=1
    finally:
        gpsd.close()


def test_a_stuck_worker_is_reported_after_its_bound() -> None:
    release = threading.Event()
    beat = [0.0]
    clock = [0.0]
    thread = threading.Thread(target=release.wait, daemon=True)
    thread.start()
    workers = Workers(monotonic=lambda: clock[0])
    workers.watch("mqtt", lambda: thread, beat=lambda: beat[0], stuck_after_s=60)
    workers.watch("gps", lambda: None)  # never started: not a problem
    clock[0] = 59.0
    assert workers.problems() == []
    clock[0] = 61.0
    assert workers.problems() == ["mqtt: stuck 61 s"]
    release.set()
    thread.join(5)
    assert workers.problems() == ["mqtt: dead"]
