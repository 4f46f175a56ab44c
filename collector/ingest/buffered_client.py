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

On MQTT 3.1.1, whole QoS 0/1 PUBLISH packets already in the buffer are parsed right there, many
per call, and handed over in one list (``on_publishes``): paho keeps no state for an incoming
QoS 0 or 1 message under manual acknowledgement (it builds an ``MQTTMessage`` and calls
``on_message``), so this skips only its per-packet bookkeeping, about half the receive cost. Any
other packet (CONNACK, SUBACK, PUBACK, PINGRESP, QoS 2, v5 properties), a packet not wholly in the
buffer, a malformed length or a topic that is not UTF-8 stops the fast path, and paho reads it as
before. ``tests/collector/test_buffered_client.py`` checks both paths give the same messages on
streams cut at every byte.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode

_CHUNK = 256 * 1024
_PUBACK = struct.Struct("!BBH")  # PUBACK, remaining length 2, packet id

Publish = tuple[str, bytes, int, int, bool]
"""topic, payload, packet id (0 for QoS 0), QoS, retain: a PUBLISH read by the fast path."""


def parse_publishes(buf: bytes, pos: int) -> tuple[list[Publish], int]:
    """Whole MQTT 3.1.1 QoS 0/1 PUBLISH packets from ``buf[pos:]``, up to the first packet that
    is something else, incomplete or odd; return them and the position after the last one."""
    out: list[Publish] = []
    end = len(buf)
    while pos < end:
        first = buf[pos]
        if first & 0xF0 != 0x30:
            break  # not a PUBLISH
        qos = (first >> 1) & 3
        if qos > 1:
            break
        i = pos + 1
        length = 0
        shift = 0
        while i < end and shift <= 21:
            byte = buf[i]
            i += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        else:
            break  # the length is cut off by the buffer's end, or longer than 4 bytes
        stop = i + length
        if stop > end or length < 2:
            break  # not all here yet (paho reads the rest), or malformed (paho says so)
        topic_end = i + 2 + ((buf[i] << 8) | buf[i + 1])
        body = topic_end + 2 if qos else topic_end
        if body > stop or topic_end == i + 2:
            break  # cut short, or an empty topic (malformed in 3.1.1: paho says so)
        try:
            topic = buf[i + 2 : topic_end].decode("utf-8")
        except UnicodeDecodeError:
            break
        mid = (buf[topic_end] << 8) | buf[topic_end + 1] if qos else 0
        out.append((topic, buf[body:stop], mid, qos, bool(first & 1)))
        pos = stop
    return out, pos


class BufferedClient(mqtt.Client):
    """A drop-in :class:`paho.mqtt.client.Client` that reads the socket in large chunks."""

    _rbuf: bytes = b""
    _rpos: int = 0
    on_publishes: Callable[[list[Publish]], None] | None = None
    """Receives the PUBLISH packets of the fast path (MQTT 3.1.1 only); when unset, every
    message goes through paho and ``on_message``."""

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
        fast = self.on_publishes if self._protocol == mqtt.MQTTv311 else None
        while rc == MQTTErrorCode.MQTT_ERR_SUCCESS and self._rpos < len(self._rbuf):
            if self._sock is None:
                break
            if fast is not None and self._in_packet["command"] == 0:  # between two packets
                publishes, self._rpos = parse_publishes(self._rbuf, self._rpos)
                if publishes:
                    with self._msgtime_mutex:
                        self._last_bytes_received = mqtt.time_func()
                    fast(publishes)
                    continue
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
