"""Paho clients driven by an asyncio loop: no thread per client.

Paho's external-loop API: paho tells us when a client's socket opens, closes, and when it has
bytes to write; the loop's selector calls ``loop_read``/``loop_write`` when the socket is ready,
and one timer calls ``loop_misc`` (keepalive PINGREQ, timeouts) on every client once a second.
A client driven this way never calls ``loop()``/``loop_start()``, so paho creates no thread and
no wake-up socket pair: one file descriptor per device.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as mqtt

if TYPE_CHECKING:  # paho declares its socket protocol for type checkers only
    from paho.mqtt.client import SocketLike

MISC_EVERY_S = 1.0
READ_PACKETS = 16  # packets per readiness event: a burst of acks costs one wake-up, not 16


class AsyncioPaho:
    """Attach paho clients to ``loop``; :meth:`run_misc` keeps their keepalives."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._clients: set[mqtt.Client] = set()

    def attach(self, client: mqtt.Client) -> None:
        client.on_socket_open = self._on_open
        client.on_socket_close = self._on_close
        client.on_socket_register_write = self._on_register_write
        client.on_socket_unregister_write = self._on_unregister_write
        self._clients.add(client)

    def detach(self, client: mqtt.Client) -> None:
        self._clients.discard(client)

    def _on_open(self, client: mqtt.Client, _userdata: Any, sock: SocketLike) -> None:
        self._loop.add_reader(sock, client.loop_read, READ_PACKETS)

    def _on_close(self, _client: mqtt.Client, _userdata: Any, sock: SocketLike) -> None:
        with contextlib.suppress(ValueError, OSError):  # the fd may be closed already
            self._loop.remove_reader(sock)
            self._loop.remove_writer(sock)

    def _on_register_write(self, client: mqtt.Client, _userdata: Any, sock: SocketLike) -> None:
        self._loop.add_writer(sock, client.loop_write)

    def _on_unregister_write(self, _client: mqtt.Client, _userdata: Any, sock: SocketLike) -> None:
        with contextlib.suppress(ValueError, OSError):
            self._loop.remove_writer(sock)

    async def run_misc(self) -> None:
        """Call ``loop_misc`` on every attached client once a second, forever."""
        while True:
            await asyncio.sleep(MISC_EVERY_S)
            for client in list(self._clients):
                client.loop_misc()
