"""The buffered paho client's fast PUBLISH path reads exactly what paho itself reads.

Byte streams of MQTT packets (QoS 0 and 1, retain and dup flags, empty, 2- and 3-byte remaining
lengths, a Thai topic, PINGRESP and PUBACK between them, then malformed packets) go through a
real socket into :class:`BufferedClient`, once with the fast path and once with paho alone, cut in
two at every byte: the messages, their order and paho's return codes must be the same.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

from collector.ingest.buffered_client import BufferedClient, Publish, parse_publishes

Message = tuple[str, bytes, int, int, bool]


def _remaining(length: int) -> bytes:
    out = bytearray()
    while True:
        byte, length = length & 0x7F, length >> 7
        out.append(byte | (0x80 if length else 0))
        if not length:
            return bytes(out)


def publish(
    topic: str, payload: bytes, *, qos: int, mid: int = 0, retain: bool = False, dup: bool = False
) -> bytes:
    name = topic.encode()
    variable = len(name).to_bytes(2, "big") + name + (mid.to_bytes(2, "big") if qos else b"")
    first = 0x30 | (qos << 1) | (0x08 if dup else 0) | (0x01 if retain else 0)
    return bytes([first]) + _remaining(len(variable) + len(payload)) + variable + payload


PINGRESP = b"\xd0\x00"
PUBACK_UNKNOWN = b"\x40\x02\x12\x34"


def case(
    topic: str, payload: bytes, *, qos: int, mid: int = 0, retain: bool = False, dup: bool = False
) -> tuple[bytes, Message]:
    packet = publish(topic, payload, qos=qos, mid=mid, retain=retain, dup=dup)
    return packet, (topic, payload, mid, qos, retain)


D = "cf/v1/devices"
GOOD: list[tuple[bytes, Message | None]] = [
    case(f"{D}/d-1/events", b'{"v":1}', qos=1, mid=1),
    case(f"{D}/d-1/heartbeat", b"hb", qos=0),
    case(f"{D}/d-2/state", b"", qos=1, mid=65535, retain=True),
    (PINGRESP, None),
    case(f"{D}/d-3/events", b"x" * 200, qos=1, mid=7, dup=True),
    case(f"{D}/d-4/events", b"y" * 20_000, qos=1, mid=8),
    (PUBACK_UNKNOWN, None),
    case(f"{D}/สาขา-1/events", b"\x00\xff", qos=0, retain=True),
    case("a", b"one-letter topic", qos=1, mid=9),
]
STREAM = b"".join(packet for packet, _ in GOOD)
EXPECTED = [message for _, message in GOOD if message is not None]


class Reader:
    """A BufferedClient on one end of a socket pair; the test writes the other end."""

    def __init__(self, *, fast: bool, protocol: mqtt.MQTTProtocolVersion = mqtt.MQTTv311) -> None:
        self.client = BufferedClient(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id="reader",
            protocol=protocol,
            manual_ack=True,
        )
        self.messages: list[Message] = []
        self.fast_calls = 0
        self.client.on_message = self._on_message
        if fast:
            self.client.on_publishes = self._on_publishes
        self.ours, self.theirs = socket.socketpair()
        self.ours.setblocking(False)
        self.client._sock = self.ours

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        self.messages.append((msg.topic, bytes(msg.payload), msg.mid, msg.qos, bool(msg.retain)))

    def _on_publishes(self, publishes: list[Publish]) -> None:
        self.fast_calls += 1
        self.messages.extend(publishes)

    def feed(self, data: bytes) -> list[MQTTErrorCode]:
        """Write ``data`` and read until paho has nothing more; return its return codes."""
        codes = []
        if data:
            self.theirs.sendall(data)
        while True:
            before = (len(self.messages), self.client._rpos, len(self.client._rbuf))
            rc = self.client.loop_read()
            codes.append(rc)
            if rc != MQTTErrorCode.MQTT_ERR_SUCCESS or self.client._sock is None:
                return codes
            after = (len(self.messages), self.client._rpos, len(self.client._rbuf))
            if after == before:
                return codes

    def close(self) -> None:
        self.ours.close()
        self.theirs.close()


@contextmanager
def reader(*, fast: bool, protocol: mqtt.MQTTProtocolVersion = mqtt.MQTTv311) -> Iterator[Reader]:
    r = Reader(fast=fast, protocol=protocol)
    try:
        yield r
    finally:
        r.close()


def test_parse_publishes_reads_whole_packets_and_stops_at_anything_else() -> None:
    first_three = STREAM[: sum(len(p) for p, _ in GOOD[:3])]
    got, pos = parse_publishes(STREAM, 0)
    assert got == EXPECTED[:3]
    assert pos == len(first_three)  # stopped at the PINGRESP
    got, pos = parse_publishes(STREAM[:-1], len(first_three) + len(PINGRESP))
    assert [m[2] for m in got] == [7, 8]  # stopped at the PUBACK
    tail = publish("a/b", b"payload", qos=1, mid=3)
    for cut in range(len(tail)):  # a packet cut anywhere is left to paho, untouched
        assert parse_publishes(tail[:cut], 0) == ([], 0)
    assert parse_publishes(publish("a", b"", qos=2, mid=1), 0) == ([], 0)  # QoS 2: paho's
    assert parse_publishes(b"\x32\x01\x00", 0) == ([], 0)  # remaining length < 2
    assert parse_publishes(b"\x32\x04\x00\x09ab", 0) == ([], 0)  # topic longer than the packet
    assert parse_publishes(b"\x30\x04\x00\x02\xff\xfe", 0) == ([], 0)  # topic not UTF-8
    assert parse_publishes(b"\x30\xff\xff\xff\xff\x01", 0) == ([], 0)  # a 5-byte length
    assert parse_publishes(publish("", b"x", qos=0), 0) == ([], 0)  # empty topic: paho refuses


def test_the_stream_read_whole_gives_paho_messages_in_order() -> None:
    with reader(fast=True) as fast, reader(fast=False) as slow:
        assert fast.feed(STREAM)[-1] == slow.feed(STREAM)[-1] == MQTTErrorCode.MQTT_ERR_SUCCESS
        assert slow.messages == EXPECTED
        assert fast.messages == EXPECTED
        assert fast.fast_calls >= 2  # the fast path really ran (it stops at PINGRESP and PUBACK)


@pytest.mark.parametrize("step", [1, 7])
def test_the_stream_cut_at_every_byte_gives_the_same_messages(step: int) -> None:
    for cut in range(0, len(STREAM) + 1, step):
        with reader(fast=True) as fast:
            fast.feed(STREAM[:cut])
            fast.feed(STREAM[cut:])
            assert fast.messages == EXPECTED, f"cut at byte {cut}"


@pytest.mark.parametrize(
    "bad",
    [
        b"\x32\x01\x00",  # PUBLISH too short for its topic length
        b"\x30\x80\x80\x80\x80\x01",  # remaining length longer than 4 bytes
        b"\x30\x05\x00\x02\xff\xfeX",  # topic not UTF-8 (paho delivers it; reading its topic fails)
        publish("", b"no topic", qos=1, mid=9),  # an empty topic is malformed in 3.1.1
    ],
)
def test_malformed_packets_are_paho_s_to_judge(bad: bytes) -> None:
    good = publish("cf/v1/devices/d-1/events", b"{}", qos=1, mid=5)
    stream = good + bad + good
    with reader(fast=True) as fast, reader(fast=False) as slow:
        fast_codes = _feed_catching(fast, stream)
        slow_codes = _feed_catching(slow, stream)
        assert fast_codes == slow_codes
        assert fast.messages == slow.messages


def _feed_catching(r: Reader, data: bytes) -> list[str]:
    try:
        return [str(rc) for rc in r.feed(data)][-1:]
    except UnicodeDecodeError as exc:  # paho's MQTTMessage.topic raises for a non-UTF-8 topic
        return [f"UnicodeDecodeError at {exc.start}"]


def test_v5_is_left_to_paho() -> None:
    name = b"cf/v1/devices/d-1/events"
    variable = len(name).to_bytes(2, "big") + name + b"\x00\x01" + b"\x00"  # no properties
    packet = b"\x32" + _remaining(len(variable) + 2) + variable + b"{}"
    with reader(fast=True, protocol=mqtt.MQTTv5) as r:
        r.feed(packet * 3)
        assert r.fast_calls == 0
        assert r.messages == [("cf/v1/devices/d-1/events", b"{}", 1, 1, False)] * 3
