"""paho-mqtt's ``Client`` with buffered socket reads (the collector's receive path).

paho reads every packet with three or more ``recv`` calls (the command byte, each byte of the
remaining length, then the body) and, for QoS 1 messages, one ``select`` per packet: on a backlog
that is most of a bare paho subscriber's CPU. This subclass reads up to 256 KiB per ``recv`` and
serves paho's small reads from that buffer, then keeps parsing packets while the buffer holds
data. The MQTT logic (sessions, flow control, acks, reconnects) stays paho's: only the two
socket-reading methods are replaced, and the buffer is dropped with the socket. The collector
registers no per-topic callbacks, so a message goes straight to ``on_message`` (paho would match
its topic against the empty set of per-topic filters first). ``ack_many`` queues the PUBACKs of a
committed batch as one write (4 bytes each, the packet paho builds; one wake-up of its thread).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode

_CHUNK = 256 * 1024
_PUBACK = struct.Struct("!BBH")  # PUBACK, remaining length 2, packet id


class BufferedClient(mqtt.Client):
    """A drop-in :class:`paho.mqtt.client.Client` that reads the socket in large chunks."""

    _rbuf: bytes = b""
    _rpos: int = 0

    def _sock_recv(self, bufsize: int) -> bytes:
        pos = self._rpos
        buf = self._rbuf
        if pos >= len(buf):
            data = super()._sock_recv(_CHUNK)  # raises BlockingIOError when nothing is there
            if len(data) <= bufsize:
                return data  # also b"" (connection closed)
            buf, pos = data, 0
            self._rbuf = data
        end = pos + bufsize
        self._rpos = end
        if pos == 0 and end >= len(buf):
            self._rbuf, self._rpos = b"", 0
            return buf
        return buf[pos:end]

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        """Read packets until the socket has nothing more right now and the buffer is empty."""
        rc = super().loop_read(max_packets)
        while rc == MQTTErrorCode.MQTT_ERR_SUCCESS and self._rpos < len(self._rbuf):
            if self._sock is None:
                break
            rc = super().loop_read(1)
        return rc

    def _sock_close(self) -> None:
        self._rbuf, self._rpos = b"", 0
        super()._sock_close()

    def _handle_on_message(self, message: mqtt.MQTTMessage) -> None:
        on_message = self.on_message
        if on_message is not None:
            with self._in_callback_mutex:
                on_message(self, self._userdata, message)

    def ack_many(self, mids: Iterable[int]) -> None:
        """PUBACK these QoS 1 packet ids (of the current connection) in one queued write."""
        packet = b"".join([_PUBACK.pack(mqtt.PUBACK, 2, mid) for mid in mids])
        if packet:
            self._packet_queue(mqtt.PUBACK, packet, 0, 0)
