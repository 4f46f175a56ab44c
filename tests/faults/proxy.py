"""A userspace TCP fault proxy between an agent and the broker, controlled by the test.

``tc netem`` is missing from these kernels, and reordering or duplicating TCP chunks is not a
meaningful fault for MQTT (TCP itself never does it). What a network can do to a TCP stream, and
this proxy does for real: ``cut`` (reset every connection, refuse new ones: a partition), ``stall``
(keep the connections, forward nothing: a black hole until keepalive notices), ``delay``
(forward each chunk after a pause), ``drop_mid_packet`` (forward half of the next chunk, then
reset: a connection lost in the middle of an MQTT packet), and ``heal``.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from tests.fixtures.ports import free_port

CHUNK = 65536


class FaultProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._open = threading.Event()
        self._open.set()
        self._flowing = threading.Event()
        self._flowing.set()
        self.delay_s = 0.0
        self._cut_next_chunk = False
        self.connections = 0
        self._stop = threading.Event()
        threading.Thread(target=self._accept, name="fault-proxy", daemon=True).start()

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    # -- faults ----------------------------------------------------------------------------
    def cut(self) -> None:
        """Partition: reset every connection and refuse new ones until :meth:`heal`."""
        self._open.clear()
        self._reset_all()

    def stall(self) -> None:
        """Keep connections open but forward nothing (packets vanish) until :meth:`heal`."""
        self._flowing.clear()

    def drop_mid_packet(self) -> None:
        """Forward half of the next chunk in either direction, then reset every connection."""
        self._cut_next_chunk = True

    def heal(self) -> None:
        self.delay_s = 0.0
        self._open.set()
        self._flowing.set()

    def close(self) -> None:
        self._stop.set()
        self._server.close()
        self._reset_all()

    # -- plumbing --------------------------------------------------------------------------
    def _reset_all(self) -> None:
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
                conn.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            if not self._open.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._conns += [client, upstream]
            self.connections += 1
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(CHUNK)
                if not data:
                    break
                self._flowing.wait()
                if not self._open.is_set():
                    break
                if self.delay_s:
                    time.sleep(self.delay_s)
                if self._cut_next_chunk:
                    self._cut_next_chunk = False
                    dst.sendall(data[: max(1, len(data) // 2)])
                    self._reset_all()
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.close()
