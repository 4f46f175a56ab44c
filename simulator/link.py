"""A cuttable network link between one simulated counter and the broker (a TCP relay).

The counter's agent connects to the relay's loopback port instead of the broker. ``cut()``
drops every connection without an MQTT DISCONNECT, so the broker publishes the device's Last
Will (``offline``) at once, and refuses new ones, as an unplugged uplink would; the agent keeps
serving citizens into its outbox. ``restore()`` lets it reconnect and drain the backlog.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import threading

_LOGGER = logging.getLogger(__name__)

_CHUNK = 65536


class CuttableLink:
    """Relays 127.0.0.1:<port> to the broker on one thread; ``url`` is what the agent uses."""

    def __init__(self, broker_host: str, broker_port: int) -> None:
        self._target = (broker_host, broker_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.setblocking(False)
        self.port = int(self._listener.getsockname()[1])
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ, None)
        self._peers: dict[socket.socket, socket.socket] = {}
        self._lock = threading.Lock()
        self._up = True
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="link", daemon=True)

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    @property
    def up(self) -> bool:
        return self._up

    def start(self) -> None:
        self._thread.start()

    def cut(self) -> None:
        with self._lock:
            self._up = False
            for sock in list(self._peers):
                self._close(sock)

    def restore(self) -> None:
        with self._lock:
            self._up = True

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        with self._lock:
            for sock in list(self._peers):
                self._close(sock)
        self._selector.close()
        self._listener.close()

    def _close(self, sock: socket.socket) -> None:
        other = self._peers.pop(sock, None)
        for s in (sock, other):
            if s is None:
                continue
            self._peers.pop(s, None)
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(s)
            with contextlib.suppress(OSError):
                s.close()

    def _accept(self) -> None:
        try:
            client, _ = self._listener.accept()
        except OSError:
            return
        if not self._up:
            client.close()
            return
        try:
            upstream = socket.create_connection(self._target, timeout=5)
        except OSError as exc:
            _LOGGER.info("link: broker unreachable: %s", exc)
            client.close()
            return
        for s in (client, upstream):
            s.setblocking(False)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._peers[client], self._peers[upstream] = upstream, client
        self._selector.register(client, selectors.EVENT_READ, None)
        self._selector.register(upstream, selectors.EVENT_READ, None)

    def _relay(self, sock: socket.socket) -> None:
        other = self._peers.get(sock)
        if other is None:
            return
        try:
            data = sock.recv(_CHUNK)
            if data:
                other.setblocking(True)
                other.sendall(data)
                other.setblocking(False)
                return
        except OSError:
            pass
        self._close(sock)

    def _run(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.2):
                with self._lock:
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    if sock is self._listener:
                        self._accept()
                    else:
                        self._relay(sock)
